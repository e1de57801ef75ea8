"""Laboratory shift tables for the SMC report: each test's category at baseline against its
worst category after the first administration, participants counted once.

Everything comes from the protocol's laboratory forms (``kind: laboratory``): a test is a
numeric item with a CDISC test code (``cdisc.testcd``); its normal range is the item whose
CDISC variable is ``LBORNRHI`` (upper limit) or ``LBORNRLO`` (lower limit) feeding the same
record row (``maps_to.row``), as the protocol pairs a value with its limit; the sample date is
the form's ``--DTC`` item. A value above its upper limit is HIGH, below its lower limit LOW,
otherwise NORMAL; a value with no limit recorded cannot be placed and is "NO RANGE".

Baseline is the last value on or before the participant's first administration; after it,
HIGH counts as worse than LOW, which counts as worse than NORMAL (the liver and coagulation
tests an SMC reviews are judged against their upper limits). A participant without a value
after the first administration is counted under "none after dosing".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from trialkit.core.adam import FormRow, TrialRows
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form, Item
from trialkit.core.reporting.display import DisplayTable

CATEGORIES = ("LOW", "NORMAL", "HIGH", "NO RANGE")
WORSE = {"NO RANGE": -1, "NORMAL": 0, "LOW": 1, "HIGH": 2}
NONE_AFTER = "none after dosing"
MISSING_BASELINE = "no baseline"


@dataclass(frozen=True)
class LabTest:
    form: str
    item: str
    code: str
    name: str
    unit: str
    date_item: str
    upper: str | None
    lower: str | None


def lab_tests(protocol: Protocol) -> list[LabTest]:
    """Every numeric test of every laboratory form, with its range items."""
    found = []
    for form in protocol.forms:
        if form.kind != "laboratory":
            continue
        date_item = _date_item(form)
        if date_item is None:
            continue
        for item in form.items:
            if item.cdisc is None or item.cdisc.testcd is None or \
                    item.type not in ("integer", "decimal"):
                continue
            found.append(LabTest(form.id, item.id, item.cdisc.testcd, item.label,
                                 item.unit or "", date_item, _limit(form, item, "LBORNRHI"),
                                 _limit(form, item, "LBORNRLO")))
    return found


def _date_item(form: Form) -> str | None:
    return next((i.id for i in form.items if i.cdisc is not None and i.cdisc.variable
                 and i.cdisc.variable.endswith("DTC")), None)


def _limit(form: Form, test: Item, variable: str) -> str | None:
    row = test.maps_to.row if test.maps_to is not None else None
    if row is None:
        return None
    return next((i.id for i in form.items if i.cdisc is not None
                 and i.cdisc.variable == variable and i.maps_to is not None
                 and i.maps_to.row == row), None)


def first_doses(rows: TrialRows) -> dict[int, dt.date]:
    first: dict[int, dt.date] = {}
    for given in rows.administrations:
        known = first.get(given.participant)
        if known is None or given.given_on < known:
            first[given.participant] = given.given_on
    return first


def shift_tables(protocol: Protocol, rows: TrialRows) -> list[DisplayTable]:
    """One table per test with any value: baseline category (rows) by worst category after
    the first administration (columns), participants dosed."""
    dosed = first_doses(rows)
    tables = []
    for test in lab_tests(protocol):
        values = list(_values(test, rows.forms, dosed))
        if values:
            tables.append(_table(test, values, dosed))
    return tables


def _values(test: LabTest, forms: Iterable[FormRow],
            dosed: Mapping[int, dt.date]) -> Iterable[tuple[int, dt.date, str]]:
    for row in forms:
        participant, data = row.participant, row.data
        if row.form != test.form or participant not in dosed:
            continue
        value, day = _number(data.get(test.item)), _day(data.get(test.date_item))
        if value is None or day is None:
            continue
        yield participant, day, _category(value, _number(data.get(test.upper or "")),
                                          _number(data.get(test.lower or "")))


def _category(value: float, upper: float | None, lower: float | None) -> str:
    if upper is None and lower is None:
        return "NO RANGE"
    if upper is not None and value > upper:
        return "HIGH"
    if lower is not None and value < lower:
        return "LOW"
    return "NORMAL"


def _table(test: LabTest, values: list[tuple[int, dt.date, str]],
           dosed: Mapping[int, dt.date]) -> DisplayTable:
    baseline: dict[int, tuple[dt.date, str]] = {}
    worst: dict[int, str] = {}
    for participant, day, category in sorted(values, key=lambda v: (v[0], v[1], v[2])):
        if day <= dosed[participant]:
            baseline[participant] = (day, category)  # the last one on or before dosing
        elif WORSE[category] > WORSE.get(worst.get(participant, ""), -2):
            worst[participant] = category
    people = sorted(set(dosed))
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for participant in people:
        if participant not in baseline and participant not in worst:
            continue
        counts[(baseline[participant][1] if participant in baseline else MISSING_BASELINE,
                worst.get(participant, NONE_AFTER))] += 1
    columns = (*CATEGORIES, NONE_AFTER)
    rows = tuple((f"Baseline {b}", *(str(counts[(b, c)]) for c in columns),
                  str(sum(counts[(b, c)] for c in columns)))
                 for b in (*CATEGORIES, MISSING_BASELINE)
                 if any(counts[(b, c)] for c in columns))
    unit = f" ({test.unit})" if test.unit else ""
    notes = () if test.upper or test.lower else (
        "the protocol records no normal range for this test",)
    return DisplayTable(f"Shift table: {test.name}{unit} [{test.code}], worst after the first "
                        "administration", ("", *(f"Worst {c}" if c != NONE_AFTER else c
                                                  for c in columns), "Participants"),
                        rows, notes)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _day(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
