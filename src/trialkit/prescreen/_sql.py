"""Ibis building blocks that mirror the in-memory engine's semantics row by row.

Each helper here is the SQL twin of a function in ``trialkit.core.eligibility`` (named in its
docstring); the spec suite and the engine-agreement tests hold them to the same answers.
Status convention: a nullable boolean — true = met, false = not_met, null = unknown — so SQL's
own three-valued AND/OR/NOT is Kleene logic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir

from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility import units

UNKNOWN: ir.BooleanValue = ibis.null("boolean")
Step = tuple[str, float]


class CompileError(NotImplementedError):
    """A node (or combination of nodes) the batch engine cannot translate."""


def add_months(day: ir.DateValue, months: int) -> ir.DateValue:
    """``dates.add_months``: calendar months with the day clipped to the month's length."""
    if months == 0:
        return day
    return (day + ibis.interval(months=months)).cast("date")


def add_days(day: ir.DateValue, days: int) -> ir.DateValue:
    return day if days == 0 else (day + ibis.interval(days=days)).cast("date")


def anchor(t: ir.Table, which: n.Anchor) -> ir.DateValue:
    column: ir.DateValue = t.p_index if which == "index" else t.p_consent
    return column


def window_column(window: n.Window) -> str:
    """The name of the per-patient column holding a window's exclusive start."""
    return f"w_{window.anchor}_{window.months}m_{window.days}d"


def window_start(t: ir.Table, window: n.Window) -> ir.DateValue:
    return add_days(add_months(anchor(t, window.anchor), -window.months), -window.days)


def bounds(t: ir.Table, window: n.Window | None) -> tuple[ir.DateValue | None, ir.DateValue]:
    """``Dates.bounds``: (exclusive start or None for all history, inclusive end). Reads the
    start from the patient columns when the plan computed it once per patient."""
    if window is None:
        return None, t.p_index
    end = anchor(t, window.anchor)
    name = window_column(window)
    start: ir.DateValue = t[name] if name in t.columns else window_start(t, window)
    return start, end


def coverage_column(window: n.Window | None) -> str:
    return "c_all" if window is None else "c" + window_column(window)[1:]


def covers(t: ir.Table, window: n.Window | None) -> ir.BooleanValue:
    """``Dates.covers``: the observation period covers the window (capped at birth). Reads
    the answer from the patient columns when the plan computed it once per patient."""
    name = coverage_column(window)
    if name in t.columns:
        column: ir.BooleanValue = t[name]
        return column
    start, end = bounds(t, window)
    first = add_days(start, 1) if start is not None else ibis.null("date")
    capped = ibis.ifelse(t.p_birth.notnull() & (first.isnull() | (first < t.p_birth)),
                         t.p_birth, first)
    inside = t.p_obs_start.isnull() | (capped.notnull() & (capped >= t.p_obs_start))
    return ((end <= t.p_obs_end) & inside).fill_null(False)


def in_window(r: ir.Table, table: str, window: n.Window | None) -> ir.BooleanValue:
    """``selection.in_window``: diagnoses and medications count by overlap."""
    start, end = bounds(r, window)
    if table in ("diagnoses", "medications"):
        first = r.date if table == "diagnoses" else r.start_date
        overlap = first <= end
        if start is None:
            return overlap
        return overlap & (r.end_date.isnull() | (r.end_date > start))
    day = r[n.DATE_FIELD[table]]
    return day <= end if start is None else (day > start) & (day <= end)


def completed_years(birth: ir.DateValue, on: ir.DateValue) -> ir.IntegerValue:
    """``dates.completed_years``, including Feb 29 birthdays (a year completes on Feb 28)."""
    year = on.year()
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    feb29 = (birth.month() == 2) & (birth.day() == 29)
    birthday = ibis.ifelse(feb29 & ~leap, 28, birth.day())
    before = (on.month() < birth.month()) | ((on.month() == birth.month()) & (on.day() < birthday))
    # A CASE, not a cast: PostgreSQL has no boolean → integer cast.
    return year - birth.year() - ibis.ifelse(before, 1, 0)


def compare(left: Any, op: n.Op, right: Any) -> ir.BooleanValue:
    """``selection.compare`` (null on either side gives null, i.e. unknown)."""
    if isinstance(right, float):  # a double, not a SQL decimal literal the column is cast to
        right = ibis.literal(right, type="float64")
    result: ir.BooleanValue
    if op == "<":
        result = left < right
    elif op == "<=":
        result = left <= right
    elif op == "==":
        result = left == right
    elif op == "!=":
        result = left != right
    elif op == ">=":
        result = left >= right
    else:
        result = left > right
    return result


def row_matches(r: ir.Table, table: str, codes: n.CodeSet) -> ir.BooleanValue:
    """``selection.row_matches``: ICD-10 by prefix, ingredients by name/RxNorm/ATC prefix."""
    tests: list[ir.BooleanValue] = []
    if table == "medications":
        names = [c.lower() for c in codes.codes if not c.startswith(("RXNORM:", "ATC:"))]
        rxnorm = [c.removeprefix("RXNORM:") for c in codes.codes if c.startswith("RXNORM:")]
        atc = [c.removeprefix("ATC:") for c in codes.codes if c.startswith("ATC:")]
        tests += [r.ingredient.isin(names)] if names else []
        tests += [r.rxnorm.isin(rxnorm).fill_null(False)] if rxnorm else []
        tests += [r.atc.startswith(code).fill_null(False) for code in atc]
    else:
        value = r[n.CODE_FIELD[table]]
        exact = [c for c in codes.codes if not c.startswith("ICD10:")]
        tests += [value.isin(exact)] if exact else []
        tests += [value.startswith(c) for c in codes.codes if c.startswith("ICD10:")]
    if not tests:
        return ibis.literal(False)
    return ibis.or_(*tests).fill_null(False)


def row_status(r: ir.Table, table: str, cond: n.RowCond) -> ir.BooleanValue:
    """``selection.row_status`` as a nullable boolean."""
    if isinstance(cond, n.InCodes):
        return row_matches(r, table, cond.codes)
    if isinstance(cond, n.FieldCompare):
        return compare(r[cond.field], cond.op, cond.value)
    if isinstance(cond, n.RowNot):
        return ~row_status(r, table, cond.part)
    if isinstance(cond, n.RowAnd):
        return ibis.and_(*[row_status(r, table, p) for p in cond.parts])
    if isinstance(cond, n.RowOr):
        return ibis.or_(*[row_status(r, table, p) for p in cond.parts])
    raise CompileError(f"no row translation for {type(cond).__name__}")


def always_decided(cond: n.RowCond) -> bool:
    """True when ``row_status`` can never be null (unknown) for ``cond``: code-list tests
    treat a missing code as no match, and and/or/not of decided parts stay decided."""
    if isinstance(cond, n.InCodes):
        return True
    if isinstance(cond, n.RowNot):
        return always_decided(cond.part)
    if isinstance(cond, (n.RowAnd, n.RowOr)):
        return all(always_decided(p) for p in cond.parts)
    return False


def conversion_steps(test: str | None, from_unit: str, to_unit: str) -> list[Step]:
    """The multiplications and divisions ``units.convert`` performs, in its order, so SQL
    reproduces its floating-point result bit for bit. Raises UnitError like convert."""
    src, dst = units.normalize(from_unit, test), units.normalize(to_unit, test)
    steps: list[Step] = []
    scaled = units._SCALED
    if src in scaled:
        base, factor = scaled[src]
        steps.append(("*", factor))
        src = base
    if dst in scaled:
        return [*steps, *conversion_steps(test, src, scaled[dst][0]), ("/", scaled[dst][1])]
    if src == dst:
        return steps
    (src_dim, src_factor), (dst_dim, dst_factor) = units.UNITS[src], units.UNITS[dst]
    if src_dim == dst_dim:
        return [*steps, ("*", src_factor), ("/", dst_factor)]
    if {src_dim, dst_dim} == {"mass", "molar"} and test in units.MOLAR_FACTOR:
        middle = "*" if src_dim == "molar" else "/"
        return [*steps, ("*", src_factor), (middle, units.MOLAR_FACTOR[test]), ("/", dst_factor)]
    raise units.UnitError(f"cannot convert {from_unit} to {to_unit}")


def apply_steps(value: ir.FloatingValue, steps: list[Step]) -> ir.FloatingValue:
    for op, factor in steps:
        value = value * factor if op == "*" else value / factor
    return value


SPELLINGS = sorted(set(units.UNITS) | set(units.ALIASES) | set(units._SCALED))


def lab_tests(events: n.Events) -> tuple[str, ...] | None:
    """The lab tests a selection can pick (from its value sets), or None if any test."""
    def tests(cond: n.RowCond | None) -> set[str] | None:
        if isinstance(cond, n.InCodes):
            return set(cond.codes.codes)
        if isinstance(cond, n.RowAnd):
            known = [t for t in (tests(p) for p in cond.parts) if t is not None]
            return set.intersection(*known) if known else None
        if isinstance(cond, n.RowOr):
            every = [tests(p) for p in cond.parts]
            return None if any(t is None for t in every) else set().union(*every)  # type: ignore[arg-type]
        return None
    found = tests(events.where) if events.table == "labs" else None
    return None if found is None else tuple(sorted(found))


def convert(r: ir.Table, to_unit: str, tests: tuple[str, ...] | None = None
            ) -> ir.FloatingValue:
    """A lab row's value in ``to_unit``; null when its unit is missing or not convertible.
    ``tests``: the only tests the rows can have (keeps the CASE short), None = any."""
    cases: list[tuple[ir.BooleanValue, ir.FloatingValue]] = []
    listed = sorted(units.TEST_UNITS) if tests is None else sorted(
        t for t in tests if t in units.TEST_UNITS)
    unlisted = tests is None or any(t not in units.TEST_UNITS for t in tests)
    for test in [*listed, *([None] if unlisted else [])]:
        for unit in SPELLINGS:
            try:
                steps = conversion_steps(test, unit, to_unit)
            except units.UnitError:
                continue
            on_test = (r.test == test) if test else ~r.test.isin(list(units.TEST_UNITS))
            cases.append((on_test & (r.unit == unit), apply_steps(r.value, steps)))
    return ibis.cases(*cases, else_=ibis.null("float64"))


def fallback_uln(r: ir.Table, fallbacks: tuple[n.UlnFallback, ...],
                 tests: tuple[str, ...] | None = None) -> ir.FloatingValue:
    """The protocol's ULN for the row's test, in the row's unit (``in_memory._uln_one``).
    ``tests``: the only tests the rows can have, None = any."""
    cases: list[tuple[ir.BooleanValue, float]] = []
    seen: set[str] = set()
    for fb in fallbacks:
        if fb.test in seen or (tests is not None and fb.test not in tests):
            continue  # the first fallback for a test wins, as in the reference engine
        seen.add(fb.test)
        for unit in SPELLINGS:
            try:
                value = units.convert(fb.value, fb.test, fb.unit, unit)
            except units.UnitError:
                continue
            cases.append(((r.test == fb.test) & (r.unit == unit), value))
    if not cases:
        return ibis.null("float64")
    return ibis.cases(*cases, else_=ibis.null("float64"))


def status_of(*, met: ir.BooleanValue, not_met: ir.BooleanValue) -> ir.BooleanValue:
    return ibis.cases((met.fill_null(False), True), (not_met.fill_null(False), False),
                      else_=UNKNOWN)


Expr = Callable[[ir.Table], ir.BooleanValue]
