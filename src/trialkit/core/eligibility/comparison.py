"""Comparisons of the in-memory engine: one value against a literal, a ULN, or a count range."""

from __future__ import annotations

from typing import Any

from trialkit.core.eligibility import explain as ex
from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility import units
from trialkit.core.eligibility.selection import Row, compare
from trialkit.core.protocol.labs import LabCatalogue
from trialkit.core.wording import Wording, gettext_noop, plain, worded


def range_bounds(cond: n.And) -> tuple[n.Compare, n.Compare] | None:
    """The (≥ part, ≤ part) of an ``x in [a, b]`` conjunction, else None."""
    if len(cond.parts) != 2:
        return None
    first, second = cond.parts
    if not (isinstance(first, n.Compare) and isinstance(second, n.Compare)):
        return None
    if first.left != second.left or isinstance(first.left, n.Count):
        return None
    if (first.op, second.op) == (">=", "<="):
        return first, second
    if (first.op, second.op) == ("<=", ">="):
        return second, first
    return None


def interval_status(low: int, high: int | None, op: n.Op, k: float) -> n.Status:
    """Whether ``count op k`` holds for every (met), no (not_met) or some count in [low, high]."""
    if op in (">=", ">"):
        if compare(low, op, k):
            return n.MET
        return n.NOT_MET if high is not None and not compare(high, op, k) else n.UNKNOWN
    if op in ("<=", "<"):
        if high is not None and compare(high, op, k):
            return n.MET
        return n.NOT_MET if not compare(low, op, k) else n.UNKNOWN
    inside = low <= k and (high is None or k <= high) and float(k).is_integer()
    single = high == low == k
    if op == "==":
        return n.MET if single else (n.UNKNOWN if inside else n.NOT_MET)
    return n.NOT_MET if single else (n.UNKNOWN if inside else n.MET)


def compare_one(value: Any, row: Row | None, op: n.Op, target: Any, unit: str | None,
                catalogue: LabCatalogue) -> tuple[n.Status, Wording]:
    shown = display(value, row, unit, catalogue)
    if value is None or target is None:
        return n.UNKNOWN, shown
    if unit is not None and row is not None:
        try:
            value = units.convert(catalogue, value, row.code, row.fields[units.UNIT_COLUMN],
                                  unit)
        except (units.UnitError, TypeError) as exc:
            return n.UNKNOWN, worded(gettext_noop("%(value)s (cannot convert to %(unit)s: "
                                                  "%(problem)s)"),
                                     value=shown, unit=unit, problem=exc)
    return (n.MET if compare(value, op, target) else n.NOT_MET), shown


def display(value: Any, row: Row | None, unit: str | None, catalogue: LabCatalogue) -> Wording:
    """A value as screening staff read it: with its unit, date and converted value."""
    dated = row is not None and value != row.date
    if value is None:
        return _on(Wording(gettext_noop("not given")), row if dated else None)
    if unit is None or row is None:
        return _on(plain(ex.show(value)), row if dated else None)
    from_unit = row.fields.get(units.UNIT_COLUMN)
    if from_unit is None:
        return _on(worded(gettext_noop("%(value)s (no unit)"), value=ex.show(value)),
                   row if dated else None)
    shown = _on(plain(f"{ex.show(value)} {from_unit}"), row if dated else None)
    if from_unit != unit:
        try:
            converted = units.convert(catalogue, value, row.code, from_unit, unit)
            shown = worded(gettext_noop("%(value)s (= %(converted)s)"), value=shown,
                           converted=f"{converted:.4g} {unit}")
        except units.UnitError:
            pass  # reported by the comparison itself
    return shown


def _on(shown: Wording, row: Row | None) -> Wording:
    """``shown`` with the date of the row it was read from, if any."""
    if row is None:
        return shown
    return worded(gettext_noop("%(value)s on %(date)s"), value=shown, date=row.date)


def uln_one(value: Any, row: Row, cond: n.UlnCompare,
            catalogue: LabCatalogue) -> tuple[n.Status, Wording]:
    """The result against its own ULN, else the protocol's fallback for its test."""
    unit, test = row.fields.get(units.UNIT_COLUMN), row.code
    if value is None or unit is None:
        return n.UNKNOWN, worded(gettext_noop("no numeric result with a unit on %(date)s"),
                                 date=row.date)
    result = _on(plain(f"{value:g} {unit}"), row)
    uln = row.fields.get(units.ULN_COLUMN)
    source = Wording(gettext_noop("the result's own range"))
    if uln is None:
        fallback = next((f for f in cond.fallbacks if f.test == test), None)
        if fallback is None:
            return n.UNKNOWN, worded(gettext_noop(
                "%(result)s with no ULN (no reference range given and no protocol fallback)"),
                result=result)
        try:
            uln = units.convert(catalogue, fallback.value, test, fallback.unit, unit)
        except units.UnitError as exc:
            return n.UNKNOWN, worded(gettext_noop(
                "%(result)s; the fallback ULN is unusable (%(problem)s)"),
                result=result, problem=exc)
        source = Wording(gettext_noop("protocol fallback ULN"))
    ratio = value / uln
    status: n.Status = n.MET if compare(ratio, cond.op, cond.factor) else n.NOT_MET
    return status, worded(gettext_noop("%(result)s = %(ratio)s × ULN (%(uln)s, %(source)s)"),
                          result=result, ratio=f"{ratio:.2f}", uln=f"{uln:g} {unit}",
                          source=source)
