"""The reference engine: evaluates a criterion tree against one patient record, in memory.

One method per node type; a node type without a method raises ``NotImplementedError`` rather
than guessing. Every outcome carries a sentence for the screening staff, the rows it rests on and,
when ``unknown``, what data would decide it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
from trialkit.core.wording import (
    Wording,
    capitalized,
    gettext_noop,
    ngettext,
    plain,
    worded,
)

Cand = tuple[Any, Row | None]


@dataclass(frozen=True, slots=True)
class Picked:
    """The candidate values of a value node (several when rows tie on the latest date)."""

    items: tuple[Cand, ...]
    missing: Wording | None = None
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
        span = worded(gettext_noop("%(low)s to %(high)s"), low=ex.value(low.right, self.dates),
                      high=ex.value(high.right, self.dates))
        template = (gettext_noop("%(what)s is %(values)s, within %(span)s.") if status == n.MET
                    else gettext_noop("%(what)s is %(values)s, outside %(span)s."))
        said = worded(template, what=ex.value(low.left, self.dates), values=ex.listed(shown),
                      span=span)
        return Outcome(status, capitalized(said), picked.evidence)

    def _or(self, cond: n.Or) -> Outcome:
        return combine("or", [self.evaluate(p) for p in cond.parts])

    def _not(self, cond: n.Not) -> Outcome:
        inner = self.evaluate(cond.part)
        return Outcome(n.kleene_not(inner.status), inner.said, inner.evidence, inner.gaps)

    # --- leaves --------------------------------------------------------------------------------
    def _attested(self, cond: n.Attested) -> Outcome:
        value = self.record.attestations.get(cond.key)
        label = cond.label or cond.key.replace("_", " ")
        if value is None:
            return Outcome(n.UNKNOWN, worded(gettext_noop("Attestation '%(label)s' is not "
                                                          "recorded."), label=label),
                           gaps=(worded(gettext_noop("attestation '%(key)s' (true or false)"),
                                        key=cond.key),))
        evidence = ({"table": "attestations", "field": cond.key, "value": value},)
        said = worded(gettext_noop("Attestation '%(label)s': yes.") if value
                      else gettext_noop("Attestation '%(label)s': no."), label=label)
        return Outcome(n.MET if value else n.NOT_MET, said, evidence)

    def _exists(self, cond: n.Exists) -> Outcome:
        rows = select(self.record, self.dates, cond.events)
        what = ex.events(cond.events, self.dates)
        found = [row for row, status in rows if status == n.MET]
        if found:
            within = ex.code_set_of(cond.events)
            listed = ex.listed([_row_label(row, within) for row in found[:5]])
            return Outcome(n.MET, worded(gettext_noop("Found %(what)s: %(rows)s."), what=what,
                                         rows=listed), tuple(row.evidence() for row in found))
        doubtful = [row for row, _ in rows]
        if doubtful:
            return Outcome(n.UNKNOWN, ngettext(
                "Cannot tell whether there is %(what)s: %(count)s row lacks the values needed.",
                "Cannot tell whether there is %(what)s: %(count)s rows lack the values needed.",
                len(doubtful), what=what), tuple(row.evidence() for row in doubtful),
                (_missing_values(what),))
        if not self.dates.covers(cond.events.window):
            return _uncovered(what, self.dates)
        return Outcome(n.NOT_MET, worded(gettext_noop("No %(what)s."), what=what))

    def _compare(self, cond: n.Compare) -> Outcome:
        if isinstance(cond.left, n.Count):
            return self._count(cond.left, cond.op, cond.right)
        left, right = self.pick(cond.left), self.pick(cond.right)
        what = ex.value(cond.left, self.dates)
        if not left.items or not right.items:
            gap = left.missing or right.missing
            assert gap is not None  # a value picks no item only with a reason
            return _unknown(gap)
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
        shown = (plain(str(low)) if high == low
                 else worded(gettext_noop("%(low)s to %(high)s"), low=low, high=high)
                 if high is not None else worded(gettext_noop("%(low)s to more"), low=low))
        said = capitalized(worded(gettext_noop("%(count)s × %(what)s; the rule needs "
                                               "%(symbol)s %(value)s."), count=shown,
                                  what=what, symbol=ex.SYMBOL[op], value=f"{right.value:g}"))
        evidence = tuple(row.evidence() for row, _ in rows)
        if status != n.UNKNOWN:
            return Outcome(status, said, evidence)
        gap = (worded(gettext_noop("history %(window)s (the observation period does not "
                                   "cover it)"), window=ex.window(count.events.window, self.dates))
               if not covered else _missing_values(what))
        return Outcome(n.UNKNOWN, said, evidence, (gap,))

    def _uln(self, cond: n.UlnCompare) -> Outcome:
        picked = self.pick(cond.value)
        what = ex.value(cond.value, self.dates)
        if not picked.items:
            assert picked.missing is not None
            return _unknown(picked.missing)
        statuses, shown = [], []
        for value, row in picked.items:
            assert row is not None
            status, text = uln_one(value, row, cond, self.catalogue)
            statuses.append(status)
            shown.append(text)
        rhs = ex.relation(cond.op, plain(f"{cond.factor:g} × ULN"))
        return _judged(all_of(statuses), what, shown, rhs, picked.evidence)

    def _in_set(self, cond: n.InSet) -> Outcome:
        picked = self.pick(cond.value)
        what = ex.value(cond.value, self.dates)
        if not picked.items:
            assert picked.missing is not None
            return _unknown(picked.missing)
        statuses: list[n.Status] = [
            n.MET if row is not None and row_matches(cond.codes, row) else n.NOT_MET
            for _, row in picked.items]
        shown = [_row_label(row, cond.codes) for _, row in picked.items if row is not None]
        return _judged(all_of(statuses), what, shown,
                       worded(gettext_noop("in %(codes)s"), codes=ex.codes(cond.codes)),
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
            return Picked((), Wording(gettext_noop("no sex recorded")))
        return Picked(((sex, None),), evidence=evidence)

    def _count_value(self, value: n.Count) -> Picked:
        raise NotImplementedError("a count is compared by Compare itself (an interval)")

    def _age(self, value: n.Age) -> Picked:
        birth = self.record.birth_date
        if birth is None:
            return Picked((), Wording(gettext_noop("no birth date recorded")))
        age = completed_years(birth, self.dates.anchor(value.anchor))
        evidence = ({"table": "patient", "field": "birth_date", "value": birth.isoformat()},)
        return Picked(((age, None),), evidence=evidence)

    def _latest_or_earliest(self, value: n.Latest | n.Earliest) -> Picked:
        rows = [row for row, _ in select(self.record, self.dates, value.events)]
        if not rows:
            return Picked((), worded(gettext_noop("no %(rows)s"),
                                     rows=ex.events(value.events, self.dates)))
        chooser = max if isinstance(value, n.Latest) else min
        when = chooser(row.date for row in rows)
        tied = [row for row in rows if row.date == when]
        return Picked(tuple((row.fields[value.field], row) for row in tied),
                      evidence=tuple(row.evidence(value.field) for row in tied))


def _judged(status: n.Status, what: Wording, shown: Sequence[Wording | str], rhs: Wording,
            evidence: tuple[dict[str, Any], ...]) -> Outcome:
    values = ex.listed(shown)
    if status == n.MET:
        return Outcome(status, capitalized(worded(gettext_noop(
            "%(what)s is %(values)s, which is %(rule)s."), what=what, values=values, rule=rhs)),
            evidence)
    if status == n.NOT_MET:
        return Outcome(status, capitalized(worded(gettext_noop(
            "%(what)s is %(values)s, which is not %(rule)s."), what=what, values=values,
            rule=rhs)), evidence)
    if len(shown) > 1:
        said = worded(gettext_noop("%(what)s: same-day results disagree (%(values)s); the rule "
                                   "needs %(rule)s."), what=what, values=values, rule=rhs)
        return Outcome(status, capitalized(said), evidence, (worded(gettext_noop(
            "a single decisive value of %(what)s"), what=what),))
    return Outcome(status, capitalized(worded(gettext_noop(
        "%(what)s is %(values)s; cannot tell whether it is %(rule)s."), what=what,
        values=values, rule=rhs)), evidence,
        (worded(gettext_noop("a usable value of %(what)s"), what=what),))


def _unknown(gap: Wording) -> Outcome:
    return Outcome(n.UNKNOWN, worded(gettext_noop("Unknown: %(gap)s."), gap=gap), gaps=(gap,))


def _missing_values(what: Wording) -> Wording:
    return worded(gettext_noop("the missing values of %(what)s"), what=what)


def _uncovered(what: Wording, dates: Dates) -> Outcome:
    period = worded(gettext_noop("%(start)s to %(end)s"),
                    start=dates.obs_start if dates.obs_start
                    else Wording(gettext_noop("birth")), end=dates.obs_end)
    return Outcome(n.UNKNOWN, worded(gettext_noop(
        "No %(what)s recorded, but the record's history (%(period)s) does not cover that whole "
        "period, so absence is not evidence."), what=what, period=period),
        gaps=(worded(gettext_noop("history covering %(what)s (records cover %(period)s)"),
                     what=what, period=period),))


def _row_label(row: Row, within: n.CodeSet | None) -> Wording | str:
    code = row.code
    day = row.date.isoformat()
    if not code:
        return day
    return worded(gettext_noop("%(code)s on %(date)s"), code=ex.code_name(code, within),
                  date=day)


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
