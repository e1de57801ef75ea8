"""Valid values for any protocol's forms, made from the item definitions: the demo's data entry.

Every item a site would fill in gets a value its definition accepts: a choice the first code
of its code list, a number the lower bound of its range, a date the day the form is filled
in, a date-time that day at 09:00 UTC, a yes/no item "no" — except where the eligibility
section says what a qualifying candidate gives: an attestation an inclusion asks for is
"yes", one an exclusion names is "no" (``qualifying_attestations``), and a birth date makes
the candidate the middle of the eligible ages. Values given by the
caller (the demo's data file) replace these; a date given as ``-6y``, ``-3m``, ``-30d`` or
``+2d`` is that far from the day the form is filled in. An item checked against a
derivation (a rater's total) gets the derived value, so an unremarkable form opens no query.

Only required items, attestations and items the caller names are filled: an optional end
date or comment stays empty, as it would at a site.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility.language import RuleContext
from trialkit.core.forms import asked_given_entries
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form, Item
from trialkit.core.protocol.record import ATTESTATIONS, PATIENT_TABLE
from trialkit.core.scoring.checks import ScoringInputError
from trialkit.core.scoring.derivations import derive

_RELATIVE = re.compile(r"^(?P<sign>[+-])(?P<count>\d+)(?P<unit>[dwmy])$")
_TEXT = "as in the source document"


def form_values(protocol: Protocol, form: Form, on: dt.date,
                given: Mapping[str, Any] | None = None) -> dict[str, object]:
    """Valid values of ``form`` filled in on ``on``; ``given`` (item id → value) on top."""
    given = {key: relative(value, on) for key, value in (given or {}).items()}
    qualifying = qualifying_attestations(protocol)
    values: dict[str, object] = {}
    for item in form.items:
        if item.derived is not None:
            continue
        if item.id in given:
            values[item.id] = given[item.id]
        elif item.required or _attests(item):
            values[item.id] = _value(protocol, item, on, qualifying)
    _agree_with_derivations(form, values, given)
    # A conditional item whose condition does not hold is not asked (child-bearing potential
    # of a man): it stays empty unless the caller gives it on purpose.
    asked = asked_given_entries(form, values, on, {c.id: c for c in protocol.codelists})
    return {key: value for key, value in values.items()
            if value is not None and (asked.get(key, True) or key in given)}


def _attests(item: Item) -> bool:
    return item.maps_to is not None and item.maps_to.table == ATTESTATIONS


def relative(value: object, on: dt.date) -> object:
    """``-6y`` / ``-3m`` / ``-2w`` / ``+30d`` → that date as ISO text; anything else as is."""
    match = _RELATIVE.match(value) if isinstance(value, str) else None
    if match is None:
        return value
    count = int(match["count"]) * (-1 if match["sign"] == "-" else 1)
    unit = match["unit"]
    if unit in "dw":
        return (on + dt.timedelta(days=count * (7 if unit == "w" else 1))).isoformat()
    months = on.year * 12 + on.month - 1 + count * (12 if unit == "y" else 1)
    year, month = divmod(months, 12)
    day = min(on.day, _days_in(year, month + 1))
    return dt.date(year, month + 1, day).isoformat()


def _days_in(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


def _value(protocol: Protocol, item: Item, on: dt.date,
           qualifying: Mapping[str, bool]) -> object:
    if item.type == "choice":
        assert item.codelist is not None
        return protocol.codelist(item.codelist).items[0].code
    if item.type in ("integer", "decimal"):
        low = item.range.min if item.range is not None and item.range.min is not None else 0
        return int(low) if item.type == "integer" else float(low)
    if item.type == "boolean":
        mapping = item.maps_to
        if mapping is not None and mapping.table == ATTESTATIONS:
            return qualifying.get(mapping.column, False)
        return False
    if item.type == "date":
        if item.maps_to is not None and item.maps_to.to == f"{PATIENT_TABLE}.birth_date":
            return relative(f"-{_middle_age(protocol)}y", on)
        return on.isoformat()
    if item.type == "datetime":
        return f"{on.isoformat()}T09:00:00+00:00"
    return _TEXT


def _middle_age(protocol: Protocol) -> int:
    low = protocol.eligibility.minimum_age_years or 18
    high = protocol.eligibility.maximum_age_years or low + 40
    return (low + high) // 2


def _agree_with_derivations(form: Form, values: dict[str, object],
                            given: Mapping[str, Any]) -> None:
    """An entered item checked against a derivation takes the derived value, unless given."""
    for item in form.items:
        derived = item.derived
        if derived is None or derived.check_against is None or derived.check_against in given:
            continue
        if any(values.get(source) is None for source in derived.inputs.values()):
            continue
        try:
            value = derive(derived.function, derived.inputs, values).value
        except ScoringInputError:
            continue  # an input given out of its type: the save will name it
        target = form.item(derived.check_against)
        values[target.id] = int(value) if target.type == "integer" else value


_QUALIFYING: dict[int, tuple[Protocol, dict[str, bool]]] = {}
"""id(protocol) → (protocol, its qualifying attestations): parsing every rule once per
protocol object (which is kept, so its id is not reused)."""


def qualifying_attestations(protocol: Protocol) -> dict[str, bool]:
    """Attestation key → the answer that meets the criteria: ``attested X`` where an
    inclusion's rule wants it to hold is yes, where an exclusion's rule would then hold is no
    (``not`` turns it round). A key the criteria want both ways is left out."""
    known = _QUALIFYING.get(id(protocol))
    if known is None or known[0] is not protocol:
        known = _QUALIFYING[id(protocol)] = (protocol, _qualifying(protocol))
    return known[1]


def _qualifying(protocol: Protocol) -> dict[str, bool]:
    context = RuleContext.of(protocol)
    wanted: dict[str, set[bool]] = {}
    for criterion in protocol.eligibility.criteria:
        if criterion.rule and criterion.rule.strip():
            _want(context.parse(criterion.rule), criterion.kind == "inclusion", wanted)
    return {key: answers.pop() for key, answers in wanted.items() if len(answers) == 1}


def _want(node: object, holds: bool, wanted: dict[str, set[bool]]) -> None:
    if isinstance(node, n.Attested):
        wanted.setdefault(node.key, set()).add(holds)
    elif isinstance(node, n.Not):
        _want(node.part, not holds, wanted)
    elif isinstance(node, n.And | n.Or):
        for part in node.parts:
            _want(part, holds, wanted)
