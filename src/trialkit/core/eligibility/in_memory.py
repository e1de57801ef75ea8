"""The reference engine: evaluates a criterion tree against one patient record, in memory.

One method per node type; a node type without a method raises ``NotImplementedError`` rather
than guessing. Every outcome carries a sentence for the screening staff, the rows it rests on and,
when ``unknown``, what data would decide it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trialkit.core.eligibility import explain as ex
from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility.comparison import (
    compare_one,
    display,
    interval_status,
    range_bounds,
    uln_one,
)
from trialkit.core.eligibility.dates import Dates, completed_years
from trialkit.core.eligibility.history import exposure_event, increase
from trialkit.core.eligibility.outcome import Outcome, all_of, combine
from trialkit.core.eligibility.record import PatientRecord
from trialkit.core.eligibility.selection import Row, row_matches, select
from trialkit.core.eligibility.units import default_catalogue
from trialkit.core.protocol.labs import LabCatalogue

Cand = tuple[Any, Row | None]


@dataclass(frozen=True, slots=True)
class Picked:
    """The candidate values of a value node (several when rows tie on the latest date)."""

    items: tuple[Cand, ...]
    missing: str = ""
    evidence: tuple[dict[str, Any], ...] = ()


class MemoryEngine:
    """Evaluates conditions for one record on fixed dates."""

    def __init__(self, record: PatientRecord, dates: Dates,
                 catalogue: LabCatalogue | None = None) -> None:
        self.record = record
        self.dates = dates
        self.catalogue = catalogue or default_catalogue()

    def evaluate(self, cond: n.Cond) -> Outcome:
        handler = _CONDITIONS.get(type(cond))
        if handler is None:
            raise NotImplementedError(f"the in-memory engine has no rule for {type(cond).__name__}")
        return handler(self, cond)

    # --- logic ---------------------------------------------------------------------------------
    def _and(self, cond: n.And) -> Outcome:
        bounds = range_bounds(cond)
        if bounds is not None:
            return self._within(*bounds)
        return combine("and", [self.evaluate(p) for p in cond.parts])

    def _within(self, low: n.Compare, high: n.Compare) -> Outcome:
        """``x in [a, b]``: one sentence instead of two comparisons."""
        outcomes = [self._compare(low), self._compare(high)]
        status = n.kleene_and([o.status for o in outcomes])
        picked = self.pick(low.left)
        if status == n.UNKNOWN or not picked.items:
            return combine("and", outcomes)
        unit = low.right.unit if isinstance(low.right, n.Quantity) else None
        shown = [display(value, row, unit, self.catalogue) for value, row in picked.items]
        span = f"{ex.value(low.right, self.dates)} to {ex.value(high.right, self.dates)}"
        word = "within" if status == n.MET else "outside"
        text = f"{_cap(ex.value(low.left, self.dates))} is {'; '.join(shown)}, {word} {span}."
        return Outcome(status, text, picked.evidence)

    def _or(self, cond: n.Or) -> Outcome:
        return combine("or", [self.evaluate(p) for p in cond.parts])

    def _not(self, cond: n.Not) -> Outcome:
        inner = self.evaluate(cond.part)
        return Outcome(n.kleene_not(inner.status), inner.explanation, inner.evidence,
                       inner.missing)

    # --- leaves --------------------------------------------------------------------------------
    def _attested(self, cond: n.Attested) -> Outcome:
        value = self.record.attestations.get(cond.key)
        label = cond.key.replace("_", " ")
        if value is None:
            return Outcome(n.UNKNOWN, f"Attestation '{label}' is not recorded.",
                           missing=(f"attestation '{cond.key}' (true or false)",))
        evidence = ({"table": "attestations", "field": cond.key, "value": value},)
        return Outcome(n.MET if value else n.NOT_MET,
                       f"Attestation '{label}': {'yes' if value else 'no'}.", evidence)

    def _exists(self, cond: n.Exists) -> Outcome:
        rows = select(self.record, self.dates, cond.events)
        what = ex.events(cond.events, self.dates)
        found = [row for row, status in rows if status == n.MET]
        if found:
            within = ex.code_set_of(cond.events)
            listed = "; ".join(_row_label(row, within) for row in found[:5])
            return Outcome(n.MET, f"Found {what}: {listed}.",
                           tuple(row.evidence() for row in found))
        doubtful = [row for row, _ in rows]
        if doubtful:
            return Outcome(n.UNKNOWN, f"Cannot tell whether there is {what}: "
                           f"{len(doubtful)} row(s) lack the values needed.",
                           tuple(row.evidence() for row in doubtful),
                           (f"the missing values of {what}",))
        if not self.dates.covers(cond.events.window):
            return _uncovered(what, self.dates)
        return Outcome(n.NOT_MET, f"No {what}.")

    def _compare(self, cond: n.Compare) -> Outcome:
        if isinstance(cond.left, n.Count):
            return self._count(cond.left, cond.op, cond.right)
        left, right = self.pick(cond.left), self.pick(cond.right)
        what = ex.value(cond.left, self.dates)
        if not left.items or not right.items:
            gap = left.missing or right.missing
            return Outcome(n.UNKNOWN, f"Unknown: {gap}.", missing=(gap,))
        unit = cond.right.unit if isinstance(cond.right, n.Quantity) else None
        statuses, shown = [], []
        for value, row in left.items:
            for target, _ in right.items:
                status, text = compare_one(value, row, cond.op, target, unit, self.catalogue)
                statuses.append(status)
                shown.append(text)
        status = all_of(statuses)
        rhs = ex.relation(cond.op, ex.value(cond.right, self.dates),
                          dates=n.value_type(cond.right) == "date")
        return _judged(status, what, shown, rhs, left.evidence + right.evidence)

    def _count(self, count: n.Count, op: n.Op, right: n.Value) -> Outcome:
        assert isinstance(right, n.Number)  # guaranteed by Compare's validation
        rows = select(self.record, self.dates, count.events)
        low = sum(1 for _, status in rows if status == n.MET)
        high: int | None = len(rows)
        covered = self.dates.covers(count.events.window)
        if not covered:
            high = None
        status = interval_status(low, high, op, right.value)
        what = ex.events(count.events, self.dates)
        shown = str(low) if high == low else f"{low} to {high if high is not None else 'more'}"
        text = f"{shown} × {what}; the rule needs {ex.SYMBOL[op]} {right.value:g}."
        evidence = tuple(row.evidence() for row, _ in rows)
        if status != n.UNKNOWN:
            return Outcome(status, _cap(text), evidence)
        gap = (f"history {ex.window(count.events.window, self.dates)} (the observation period "
               f"does not cover it)" if not covered else f"the missing values of {what}")
        return Outcome(n.UNKNOWN, _cap(text), evidence, (gap,))

    def _uln(self, cond: n.UlnCompare) -> Outcome:
        picked = self.pick(cond.value)
        what = ex.value(cond.value, self.dates)
        if not picked.items:
            return Outcome(n.UNKNOWN, f"Unknown: {picked.missing}.", missing=(picked.missing,))
        statuses, shown = [], []
        for value, row in picked.items:
            assert row is not None
            status, text = uln_one(value, row, cond, self.catalogue)
            statuses.append(status)
            shown.append(text)
        rhs = ex.relation(cond.op, f"{cond.factor:g} × ULN")
        return _judged(all_of(statuses), what, shown, rhs, picked.evidence)

    def _in_set(self, cond: n.InSet) -> Outcome:
        picked = self.pick(cond.value)
        what = ex.value(cond.value, self.dates)
        if not picked.items:
            return Outcome(n.UNKNOWN, f"Unknown: {picked.missing}.", missing=(picked.missing,))
        statuses: list[n.Status] = [
            n.MET if row is not None and row_matches(cond.codes, row) else n.NOT_MET
            for _, row in picked.items]
        shown = [_row_label(row, cond.codes) for _, row in picked.items if row is not None]
        return _judged(all_of(statuses), what, shown, f"in {ex.codes(cond.codes)}",
                       picked.evidence)

    def _increase(self, cond: n.Increase) -> Outcome:
        return increase(self.record, self.dates, cond)

    def _exposure_event(self, cond: n.ExposureEvent) -> Outcome:
        return exposure_event(self.record, self.dates, cond)

    # --- values --------------------------------------------------------------------------------
    def pick(self, value: n.Value) -> Picked:
        handler = _VALUES.get(type(value))
        if handler is None:
            raise NotImplementedError(f"the in-memory engine cannot pick a {type(value).__name__}")
        return handler(self, value)

    def _literal(self, value: n.Number | n.Quantity | n.Text) -> Picked:
        return Picked(((value.value, None),))

    def _anchor_date(self, value: n.AnchorDate) -> Picked:
        return Picked(((ex.anchor_date(value, self.dates), None),))

    def _sex(self, value: n.Sex) -> Picked:
        sex = self.record.sex
        evidence = ({"table": "patient", "field": "sex", "value": sex},)
        if sex is None:
            return Picked((), "no sex recorded")
        return Picked(((sex, None),), evidence=evidence)

    def _count_value(self, value: n.Count) -> Picked:
        raise NotImplementedError("a count is compared by Compare itself (an interval)")

    def _age(self, value: n.Age) -> Picked:
        birth = self.record.birth_date
        if birth is None:
            return Picked((), "no birth date recorded")
        age = completed_years(birth, self.dates.anchor(value.anchor))
        evidence = ({"table": "patient", "field": "birth_date", "value": birth.isoformat()},)
        return Picked(((age, None),), evidence=evidence)

    def _latest_or_earliest(self, value: n.Latest | n.Earliest) -> Picked:
        rows = [row for row, _ in select(self.record, self.dates, value.events)]
        if not rows:
            return Picked((), f"no {ex.events(value.events, self.dates)}")
        chooser = max if isinstance(value, n.Latest) else min
        when = chooser(row.date for row in rows)
        tied = [row for row in rows if row.date == when]
        return Picked(tuple((row.fields[value.field], row) for row in tied),
                      evidence=tuple(row.evidence(value.field) for row in tied))


def _judged(status: n.Status, what: str, shown: list[str], rhs: str,
            evidence: tuple[dict[str, Any], ...]) -> Outcome:
    values = "; ".join(shown)
    if status == n.MET:
        return Outcome(status, f"{_cap(what)} is {values}, which is {rhs}.", evidence)
    if status == n.NOT_MET:
        return Outcome(status, f"{_cap(what)} is {values}, which is not {rhs}.", evidence)
    if len(shown) > 1:
        text = f"{_cap(what)}: same-day results disagree ({values}); the rule needs {rhs}."
        return Outcome(status, text, evidence, (f"a single decisive value of {what}",))
    return Outcome(status, f"{_cap(what)} is {values}; cannot tell whether it is {rhs}.",
                   evidence, (f"a usable value of {what}",))


def _uncovered(what: str, dates: Dates) -> Outcome:
    period = (f"{dates.obs_start.isoformat() if dates.obs_start else 'birth'} to "
              f"{dates.obs_end.isoformat()}")
    return Outcome(n.UNKNOWN, f"No {what} recorded, but the record's history ({period}) does "
                   "not cover that whole period, so absence is not evidence.",
                   missing=(f"history covering {what} (records cover {period})",))


def _row_label(row: Row, within: n.CodeSet | None) -> str:
    code = row.code
    day = row.date.isoformat()
    if not code:
        return day
    return f"{ex.code_name(code, within)} on {day}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


_CONDITIONS: dict[type, Callable[[MemoryEngine, Any], Outcome]] = {
    n.And: MemoryEngine._and,
    n.Or: MemoryEngine._or,
    n.Not: MemoryEngine._not,
    n.Attested: MemoryEngine._attested,
    n.Exists: MemoryEngine._exists,
    n.Compare: MemoryEngine._compare,
    n.UlnCompare: MemoryEngine._uln,
    n.InSet: MemoryEngine._in_set,
    n.Increase: MemoryEngine._increase,
    n.ExposureEvent: MemoryEngine._exposure_event,
}
_VALUES: dict[type, Callable[[MemoryEngine, Any], Picked]] = {
    n.Number: MemoryEngine._literal,
    n.Quantity: MemoryEngine._literal,
    n.Text: MemoryEngine._literal,
    n.AnchorDate: MemoryEngine._anchor_date,
    n.Age: MemoryEngine._age,
    n.Sex: MemoryEngine._sex,
    n.Count: MemoryEngine._count_value,
    n.Latest: MemoryEngine._latest_or_earliest,
    n.Earliest: MemoryEngine._latest_or_earliest,
}
HANDLED = {"conditions": tuple(_CONDITIONS), "values": tuple(_VALUES)}
"""The node types this engine evaluates (the completeness tests read it)."""


def evaluate(cond: n.Cond, record: PatientRecord, dates: Dates,
             catalogue: LabCatalogue | None = None) -> Outcome:
    """Evaluate one condition for one record."""
    return MemoryEngine(record, dates, catalogue).evaluate(cond)


__all__ = ["MemoryEngine", "Outcome", "evaluate", "interval_status"]
