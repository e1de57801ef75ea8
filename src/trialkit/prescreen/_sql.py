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
from trialkit.core.protocol.labs import LabCatalogue

UNKNOWN: ir.BooleanValue = ibis.null("boolean")
Step = units.Step


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


def in_window(r: ir.Table, table: n.TableRef, window: n.Window | None) -> ir.BooleanValue:
    """``selection.in_window``: a spanning row ([date, end]) counts when it overlaps."""
    start, end = bounds(r, window)
    day = r[table.date]
    if table.end is not None:
        overlap = day <= end
        if start is None:
            return overlap
        last = r[table.end]
        return overlap & (last.isnull() | (last > start))
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


def row_matches(r: ir.Table, table: n.TableRef, codes: n.CodeSet) -> ir.BooleanValue:
    """``selection.row_matches`` through the table's ``CodeColumn``: alternate prefixes match
    their own column, ``prefix_match`` systems by prefix, the rest exactly (lower case for a
    lower-case kind); a null code matches nothing."""
    column = table.code
    if column is None:
        return ibis.literal(False)
    tests: list[ir.BooleanValue] = []
    remaining = list(codes.codes)
    for alternate in column.alternates:
        mine = [c.removeprefix(alternate.prefix) for c in remaining
                if c.startswith(alternate.prefix)]
        remaining = [c for c in remaining if not c.startswith(alternate.prefix)]
        if alternate.match == "prefix":
            tests += [r[alternate.column].startswith(c).fill_null(False) for c in mine]
        elif mine:
            tests.append(r[alternate.column].isin(mine).fill_null(False))
    value = r[column.column]
    prefixed = [c for c in remaining if column.prefix_match and c.startswith(column.prefix_match)]
    exact = [c.lower() if column.lower_case else c for c in remaining if c not in prefixed]
    tests += [value.isin(exact)] if exact else []
    tests += [value.startswith(c) for c in prefixed]
    if not tests:
        return ibis.literal(False)
    return ibis.or_(*tests).fill_null(False)


ROW_CONDITIONS = (n.InCodes, n.FieldCompare, n.RowNot, n.RowAnd, n.RowOr)
"""The row conditions ``row_status`` translates (the completeness tests read it)."""


def row_status(r: ir.Table, table: n.TableRef, cond: n.RowCond) -> ir.BooleanValue:
    """``selection.row_status`` as a nullable boolean."""
    if isinstance(cond, n.InCodes):
        return row_matches(r, table, cond.codes)
    if isinstance(cond, n.FieldCompare):
        return compare(r[cond.field], cond.op, cond.value)
    if isinstance(cond, n.RowNot):
        return kleene_not(row_status(r, table, cond.part))
    if isinstance(cond, n.RowAnd):
        return ibis.and_(*[row_status(r, table, p) for p in cond.parts])
    if isinstance(cond, n.RowOr):
        return ibis.or_(*[row_status(r, table, p) for p in cond.parts])
    raise CompileError(f"no row translation for {type(cond).__name__}")


def kleene_not(value: ir.BooleanValue) -> ir.BooleanValue:
    """Kleene not, written ``value = FALSE``: Ibis renders ``~value`` as ``NOT value``, and
    ``NOT value IS NULL`` then reads as ``NOT (value IS NULL)`` in SQL."""
    return value == ibis.literal(False)


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


def conversion_steps(catalogue: LabCatalogue, test: str | None, from_unit: str,
                     to_unit: str) -> list[Step]:
    """The multiplications and divisions ``units.convert`` performs, in its order, so SQL
    reproduces its floating-point result bit for bit. Raises UnitError like convert."""
    return units.conversion_steps(catalogue, test, from_unit, to_unit)


def apply_steps(value: ir.FloatingValue, steps: list[Step]) -> ir.FloatingValue:
    for op, factor in steps:
        value = value * factor if op == "*" else value / factor
    return value


def lab_tests(events: n.Events) -> tuple[str, ...] | None:
    """The tests a selection of quantities can pick (from its value sets), or None if any."""
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
    found = tests(events.where) if "quantity" in events.table.fields.values() else None
    return None if found is None else tuple(sorted(found))


def test_column(table: n.TableRef) -> str:
    """The column naming a quantity's test: the table's code column."""
    if table.code is None:
        raise CompileError(f"{table.name} has quantities but no code column naming the test")
    return table.code.column


def convert(r: ir.Table, table: n.TableRef, field: str, to_unit: str, catalogue: LabCatalogue,
            tests: tuple[str, ...] | None = None) -> ir.FloatingValue:
    """A quantity row's ``field`` in ``to_unit``; null when its unit is missing or not
    convertible. ``tests``: the only tests the rows can have (keeps the CASE short), None =
    any."""
    restricted = units.tests_with_units(catalogue)
    test_col = r[test_column(table)]
    cases: list[tuple[ir.BooleanValue, ir.FloatingValue]] = []
    listed = restricted if tests is None else sorted(t for t in tests if t in restricted)
    unlisted = tests is None or any(t not in restricted for t in tests)
    for test in [*listed, *([None] if unlisted else [])]:
        for unit in units.spellings(catalogue):
            try:
                steps = conversion_steps(catalogue, test, unit, to_unit)
            except units.UnitError:
                continue
            on_test = (test_col == test) if test else ~test_col.isin(restricted)
            cases.append((on_test & (r[units.UNIT_COLUMN] == unit),
                          apply_steps(r[field], steps)))
    return ibis.cases(*cases, else_=ibis.null("float64"))


def fallback_uln(r: ir.Table, table: n.TableRef, fallbacks: tuple[n.UlnFallback, ...],
                 catalogue: LabCatalogue, tests: tuple[str, ...] | None = None
                 ) -> ir.FloatingValue:
    """The protocol's ULN for the row's test, in the row's unit (``comparison.uln_one``).
    ``tests``: the only tests the rows can have, None = any."""
    test_col = r[test_column(table)]
    cases: list[tuple[ir.BooleanValue, float]] = []
    seen: set[str] = set()
    for fb in fallbacks:
        if fb.test in seen or (tests is not None and fb.test not in tests):
            continue  # the first fallback for a test wins, as in the reference engine
        seen.add(fb.test)
        for unit in units.spellings(catalogue):
            try:
                value = units.convert(catalogue, fb.value, fb.test, fb.unit, unit)
            except units.UnitError:
                continue
            cases.append(((test_col == fb.test) & (r[units.UNIT_COLUMN] == unit), value))
    if not cases:
        return ibis.null("float64")
    return ibis.cases(*cases, else_=ibis.null("float64"))


def status_of(*, met: ir.BooleanValue, not_met: ir.BooleanValue) -> ir.BooleanValue:
    return ibis.cases((met.fill_null(False), True), (not_met.fill_null(False), False),
                      else_=UNKNOWN)


Expr = Callable[[ir.Table], ir.BooleanValue]
