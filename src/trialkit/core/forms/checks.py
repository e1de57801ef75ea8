"""Cross-item edit checks: the protocol's own, and the one that needs no protocol data.

- **the protocol's checks** (``form.checks``): expressions in the edit-check language
  (``trialkit.core.forms.expressions``). A check that is False opens a query on its ``item``
  with its ``message``; a check that cannot be judged (an item unanswered) opens none, and a
  check whose ``when`` does not hold is not evaluated;
- **dates in the future**: a date or date-time item after the moment of entry (a CRF records
  what happened); the date is compared with the entry moment's own calendar day, so a site's
  local date is never flagged because UTC has not reached it yet.

Each failure is a finding that opens a data query; none refuses the save, because the source
document may really say so and the site must be able to record it and explain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from trialkit.core.forms.expressions import (
    Expr,
    ExpressionError,
    Truth,
    holds,
    item_refs,
    parse_check,
)
from trialkit.core.forms.values import ItemValueError, JsonScalar, parse_value
from trialkit.core.protocol.forms import CodeList, EditCheck, Form
from trialkit.core.wording import Wording, gettext_noop, worded


@dataclass(frozen=True)
class Finding:
    """A soft edit-check result: saved, and a query opens when ``opens_query``.

    ``message`` is what is stored and what the query says, in the protocol's language. A page
    reads it in the reader's: a protocol check by its ``check`` id (the protocol's
    translation of its message), trialkit's own sentence by its ``wording``."""

    item: str
    message: str
    opens_query: bool = True
    check: str = ""
    """The id of the protocol's edit check that found it ("" for trialkit's own checks)."""
    wording: Wording | None = None
    """Trialkit's own sentence, as a template and values (the item is shown beside it)."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"item": self.item, "message": self.message,
                                "opens_query": self.opens_query}
        if self.check:
            data["check"] = self.check
        if self.wording is not None:
            data["wording"] = self.wording.to_json()
        return data


def cross_item_findings(form: Form, values: Mapping[str, JsonScalar], as_of: datetime,
                        codelists: Mapping[str, CodeList]) -> list[Finding]:
    return [*_future_dates(form, values, as_of),
            *protocol_check_findings(form, values, as_of.date(), codelists)]


def choice_codes(form: Form, codelists: Mapping[str, CodeList]) -> dict[str, tuple[str, ...]]:
    """Each choice item's codes, so a check comparing it with a literal names a real code."""
    return {item.id: tuple(c.code for c in codelists[item.codelist].items)
            for item in form.items if item.codelist is not None and item.codelist in codelists}


def edit_check_problems(form: Form, codelists: Mapping[str, CodeList]) -> list[str]:
    """Why the form's checks do not parse against its items and code lists (empty: they do)."""
    codes = choice_codes(form, codelists)
    problems = []
    for check in form.checks:
        for key in ("expression", "when"):
            text = getattr(check, key)
            try:
                if text is not None:
                    parse_check(text, form, codes)
            except ExpressionError as exc:
                problems.append(f"form {form.id}, check {check.id} ({key}): {exc}")
    for item in form.items:
        if item.asked_when is None:
            continue
        try:
            refs = item_refs(parse_check(item.asked_when, form, codes))
        except ExpressionError as exc:
            problems.append(f"form {form.id}, item {item.id} (asked_when): {exc}")
            continue
        if item.id in refs:
            problems.append(f"form {form.id}, item {item.id} (asked_when): an item cannot "
                            "decide whether it is itself asked")
    return problems


def asked_items(form: Form, values: Mapping[str, JsonScalar], today: date,
                codelists: Mapping[str, CodeList]) -> dict[str, bool]:
    """Item id → whether it is asked given the other values: an item without ``asked_when``
    always is; one with it only when the condition holds (not when it fails or cannot be
    judged yet because what it reads is not entered). Pages show the asked items."""
    return {item: state is True for item, state in asking(form, values, today,
                                                          codelists).items()}


def asking(form: Form, values: Mapping[str, JsonScalar], today: date,
           codelists: Mapping[str, CodeList]) -> dict[str, Truth]:
    """Item id → True (asked), False (its condition fails: a value is refused) or None (the
    condition cannot be judged yet: neither required nor refused)."""
    codes = choice_codes(form, codelists)
    return {item.id: True if item.asked_when is None else holds(
        parse_check(item.asked_when, form, codes), values, today)
        for item in form.items}


def protocol_check_findings(form: Form, values: Mapping[str, JsonScalar], today: date,
                            codelists: Mapping[str, CodeList]) -> list[Finding]:
    codes = choice_codes(form, codelists)
    findings = []
    for check in form.checks:
        if _applies(check, form, values, today, codes) and _fails(
                parse_check(check.expression, form, codes), values, today):
            findings.append(Finding(check.item, check.message, check=check.id))
    return findings


def _applies(check: EditCheck, form: Form, values: Mapping[str, JsonScalar], today: date,
             codes: Mapping[str, tuple[str, ...]]) -> bool:
    return check.when is None or holds(parse_check(check.when, form, codes), values,
                                       today) is True


def _fails(expression: Expr, values: Mapping[str, JsonScalar], today: date) -> bool:
    return holds(expression, values, today) is False


def _future_dates(form: Form, values: Mapping[str, JsonScalar],
                  as_of: datetime) -> list[Finding]:
    findings = []
    for item in form.items:
        value = values.get(item.id)
        if not isinstance(value, str) or item.type not in ("date", "datetime"):
            continue
        future = (date.fromisoformat(value) > as_of.date() if item.type == "date"
                  else datetime.fromisoformat(value) > as_of)
        if future:
            findings.append(Finding(item.id, f"{item.label} {value} is in the future",
                                    wording=worded(gettext_noop("%(value)s is in the future"),
                                                   value=value)))
    return findings


def asked_given_entries(form: Form, entries: Mapping[str, object], today: date,
                        codelists: Mapping[str, CodeList]) -> dict[str, bool]:
    """``asked_items`` for entries as typed or stored (text, or a saved version's values): an
    entry that does not parse counts as not entered."""
    typed: dict[str, JsonScalar] = {}
    for item in form.items:
        try:
            typed[item.id] = parse_value(item, entries.get(item.id),
                                         codelists.get(item.codelist or ""))
        except ItemValueError:
            typed[item.id] = None
    return asked_items(form, typed, today, codelists)
