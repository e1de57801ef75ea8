"""The batch engine: criteria nodes → one Ibis query per cohort, run on DuckDB or PySpark.

One method per node type, as in the in-memory reference engine
(``trialkit.core.eligibility.in_memory``), whose answers this engine must reproduce for every
patient; a node type without a method raises :class:`CompileError`. Statuses are nullable
booleans inside the query (true = met, false = not_met, null = unknown, so SQL's own logic is
Kleene logic) and strings in the result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir

from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility import units
from trialkit.core.protocol.labs import LabCatalogue
from trialkit.core.protocol.record import ATTESTATIONS
from trialkit.prescreen import _sql as s
from trialkit.prescreen._history_sql import exposure_event, increase
from trialkit.prescreen._plan import Plan, windows_in
from trialkit.prescreen._sql import UNKNOWN, CompileError, Expr
from trialkit.prescreen.criteria import Criterion
from trialkit.prescreen.logical import LogicalTables

SCALARS = (n.Number, n.Quantity, n.Text, n.AnchorDate, n.Age, n.Sex)


class Compiler:
    """Translates conditions into expressions over the joined per-patient table."""

    def __init__(self, plan: Plan, catalogue: LabCatalogue | None = None) -> None:
        self.plan = plan
        self.catalogue = catalogue or units.default_catalogue()

    def compile(self, cond: n.Cond) -> Expr:
        method = _METHODS.get(type(cond))
        if method is None:
            raise CompileError(f"the batch engine has no rule for {type(cond).__name__}")
        return method(self, cond)

    # --- logic ---------------------------------------------------------------------------------
    def _and(self, cond: n.And) -> Expr:
        parts = [self.compile(p) for p in cond.parts]
        return lambda t: ibis.and_(*[p(t) for p in parts])

    def _or(self, cond: n.Or) -> Expr:
        parts = [self.compile(p) for p in cond.parts]
        return lambda t: ibis.or_(*[p(t) for p in parts])

    def _not(self, cond: n.Not) -> Expr:
        part = self.compile(cond.part)
        return lambda t: s.kleene_not(part(t))

    # --- leaves --------------------------------------------------------------------------------
    def _attested(self, cond: n.Attested) -> Expr:
        key, table = cond.key, ATTESTATIONS
        self.plan.within(table, None)
        yes = self.plan.count(table, "yes", lambda r: (r.key == key) & r.value,
                              key=("yes", key))
        no = self.plan.count(table, "no", lambda r: (r.key == key) & ~r.value,
                             key=("no", key))
        return lambda t: s.status_of(met=_n(t, yes) > 0, not_met=_n(t, no) > 0)

    def _exists(self, cond: n.Exists) -> Expr:
        met, maybe = self._selected(cond.events)
        window = cond.events.window
        return lambda t: ibis.cases(
            (_n(t, met) > 0, True), (_n(t, maybe) > 0, UNKNOWN),
            (s.covers(t, window), False), else_=UNKNOWN)

    def _selected(self, events: n.Events) -> tuple[str, str | None]:
        """Counts of rows in the window whose ``where`` is met, and whose ``where`` is unknown
        (None when it cannot be: code lists always decide, so none is computed)."""
        table, window, where = events.table, events.window, events.where

        def status(r: ir.Table) -> ir.BooleanValue:
            if where is None:
                return ibis.literal(True)
            return s.row_status(r, table, where)

        self.plan.within(table, window)
        met = self.plan.count(table.name, "met", lambda r: s.in_window(r, table, window)
                              & status(r), key=("met", events))
        if where is None or s.always_decided(where):
            return met, None
        maybe = self.plan.count(table.name, "maybe", lambda r: s.in_window(r, table, window)
                                & status(r).isnull(), key=("maybe", events))
        return met, maybe

    def _compare(self, cond: n.Compare) -> Expr:
        if isinstance(cond.left, n.Count):
            return self._count(cond.left, cond.op, cond.right)
        left, right = cond.left, cond.right
        if isinstance(left, SCALARS) and isinstance(right, SCALARS):
            lhs, rhs = scalar(left), scalar(right)
            return lambda t: s.compare(lhs(t), cond.op, rhs(t))
        if isinstance(left, (n.Latest, n.Earliest)) and isinstance(right, SCALARS):
            rhs = scalar(right)
            unit = right.unit if isinstance(right, n.Quantity) else None
            field, tests, table = left.field, s.lab_tests(left.events), left.events.table
            catalogue = self.catalogue

            def row_test(r: ir.Table) -> ir.BooleanValue:
                value = (s.convert(r, table, field, unit, catalogue, tests)
                         if unit is not None else r[field])
                return s.compare(value, cond.op, rhs(r))
            return self._all_tied(left, row_test, key=cond)
        if isinstance(left, SCALARS) and isinstance(right, (n.Latest, n.Earliest)):
            lhs, name = scalar(left), right.field
            return self._all_tied(right, lambda r: s.compare(lhs(r), cond.op, r[name]), key=cond)
        raise CompileError(f"cannot compare {type(left).__name__} with {type(right).__name__}")

    def _count(self, count: n.Count, op: n.Op, right: n.Value) -> Expr:
        if not isinstance(right, n.Number):
            raise CompileError("a count compares with a number literal")
        met, maybe = self._selected(count.events)
        window, k = count.events.window, right.value

        def status(t: ir.Table) -> ir.BooleanValue:
            low = _n(t, met)
            high = low + _n(t, maybe)
            return interval_status(low, high, s.covers(t, window), op, k)
        return status

    def _uln(self, cond: n.UlnCompare) -> Expr:
        fallbacks, tests = cond.fallbacks, s.lab_tests(cond.value.events)
        table, field, catalogue = cond.value.events.table, cond.value.field, self.catalogue

        def row_test(r: ir.Table) -> ir.BooleanValue:
            uln = r[units.ULN_COLUMN].coalesce(
                s.fallback_uln(r, table, fallbacks, catalogue, tests))
            value = r[field]
            usable = value.notnull() & r[units.UNIT_COLUMN].notnull()
            ratio = ibis.ifelse(usable, value / uln, ibis.null("float64"))
            return s.compare(ratio, cond.op, cond.factor)
        return self._all_tied(cond.value, row_test, key=cond)

    def _in_set(self, cond: n.InSet) -> Expr:
        table, codes = cond.value.events.table, cond.codes
        return self._all_tied(cond.value, lambda r: s.row_matches(r, table, codes), key=cond)

    def _increase(self, cond: n.Increase) -> Expr:
        return increase(self.plan, cond)

    def _exposure_event(self, cond: n.ExposureEvent) -> Expr:
        return exposure_event(self.plan, cond)

    # --- latest / earliest ---------------------------------------------------------------------
    def _all_tied(self, value: n.Latest | n.Earliest,
                  row_test: Callable[[ir.Table], ir.BooleanValue], *, key: object) -> Expr:
        """Met if the test holds on every row of the latest (earliest) date, not_met if it
        fails on every one, else unknown; no row at all: unknown."""
        events = value.events
        table, date, name = events.table, events.table.date, events.table.name

        def selected(r: ir.Table) -> ir.BooleanValue:
            chosen = s.in_window(r, table, events.window)
            if events.where is not None:
                chosen = chosen & s.row_status(r, table, events.where)
            return chosen.fill_null(False)

        self.plan.within(table, events.window)
        pick = "max" if isinstance(value, n.Latest) else "min"
        chosen = (type(value), events)
        when = self.plan.first_pass(name, pick, lambda r: getattr(r[date], pick)(
            where=selected(r)), key=("when", chosen))

        tied = self.plan.flag(name, "tied", lambda r: selected(r) & (r[date] == r[when]),
                              key=("tied", chosen))
        test = self.plan.flag(name, "test", row_test, key=("test", key))
        rows = self.plan.count(name, "rows", lambda r: r[tied], key=("rows", chosen))
        passed = self.plan.count(name, "pass", lambda r: r[tied] & r[test], key=("pass", key))
        failed = self.plan.count(name, "fail", lambda r: r[tied] & ~r[test], key=("fail", key))
        return lambda t: s.status_of(met=(_n(t, rows) > 0) & (_n(t, passed) == _n(t, rows)),
                                     not_met=(_n(t, rows) > 0) & (_n(t, failed) == _n(t, rows)))


def scalar(value: n.Value) -> Callable[[ir.Table], Any]:
    """A per-patient value, readable on any table that carries the ``p_*`` columns."""
    if isinstance(value, (n.Number, n.Quantity)):
        number = float(value.value)
        return lambda t: ibis.literal(number, type="float64")
    if isinstance(value, n.Text):
        text = value.value
        return lambda t: ibis.literal(text, type="string")
    if isinstance(value, n.AnchorDate):
        a = value
        return lambda t: s.add_days(s.add_months(s.anchor(t, a.anchor), a.months), a.days)
    if isinstance(value, n.Age):
        which = value.anchor
        return lambda t: s.completed_years(t.p_birth, s.anchor(t, which))
    if isinstance(value, n.Sex):
        return lambda t: t.p_sex
    raise CompileError(f"{type(value).__name__} is not a per-patient value")


def interval_status(low: ir.IntegerValue, high: ir.IntegerValue, covered: ir.BooleanValue,
                    op: n.Op, k: float) -> ir.BooleanValue:
    """``in_memory.interval_status``; ``high`` counts only where ``covered`` (else unbounded)."""
    if op in (">=", ">"):
        return s.status_of(met=s.compare(low, op, k), not_met=covered & ~s.compare(high, op, k))
    if op in ("<=", "<"):
        return s.status_of(met=covered & s.compare(high, op, k), not_met=~s.compare(low, op, k))
    inside = (low <= k) & (~covered | (k <= high)) & ibis.literal(float(k).is_integer())
    single = covered & (high == low) & (low == k)
    if op == "==":
        return ibis.cases((single, True), (inside, UNKNOWN), else_=False)
    return ibis.cases((single, False), (inside, UNKNOWN), else_=True)


def _always_unknown(t: ir.Table) -> ir.BooleanValue:
    return UNKNOWN


def _n(t: ir.Table, column: str | None) -> ir.IntegerValue:
    """A count column after the left join: patients without rows have none, i.e. 0. None:
    a count that is 0 by construction."""
    value: ir.IntegerValue = (t[column].fill_null(0) if column is not None
                              else ibis.literal(0, type="int64"))
    return value


_METHODS: dict[type, Callable[[Compiler, Any], Expr]] = {
    n.And: Compiler._and,
    n.Or: Compiler._or,
    n.Not: Compiler._not,
    n.Attested: Compiler._attested,
    n.Exists: Compiler._exists,
    n.Compare: Compiler._compare,
    n.UlnCompare: Compiler._uln,
    n.InSet: Compiler._in_set,
    n.Increase: Compiler._increase,
    n.ExposureEvent: Compiler._exposure_event,
}
HANDLED = {"conditions": tuple(_METHODS),
           "values": (*SCALARS, n.Count, n.Latest, n.Earliest)}
"""The node types this engine compiles (the completeness tests read it): scalars per patient,
counts inside ``Compare``, latest/earliest through ``_all_tied``."""

STATUS_TEXT = {True: n.MET, False: n.NOT_MET}


def compile_cohort(criteria: list[Criterion], tables: LogicalTables,
                   catalogue: LabCatalogue | None = None) -> ir.Table:
    """One query: ``patient_id``, a status column per criterion (``met``/``not_met``/
    ``unknown``) in protocol order, and ``verdict``. ``catalogue``: the lab catalogue unit
    conversions read (default: the packaged one)."""
    plan = Plan(tables, set().union(*(windows_in(c.node) for c in criteria)))
    compiler = Compiler(plan, catalogue)
    exprs = [(c, compiler.compile(c.node) if c.node is not None else _always_unknown)
             for c in criteria]
    joined = plan.build()
    flags = joined.select("pid", **{c.id: expr(joined) for c, expr in exprs})
    inclusions = [flags[c.id] for c in criteria if c.kind == "inclusion"]
    exclusions = [flags[c.id] for c in criteria if c.kind == "exclusion"]
    failed = ibis.or_(*[i == False for i in inclusions],  # noqa: E712  (SQL, not Python)
                      *[e == True for e in exclusions])  # noqa: E712
    passed = ibis.and_(*[i == True for i in inclusions],  # noqa: E712
                       *[e == False for e in exclusions])  # noqa: E712
    verdict = ibis.cases((failed.fill_null(False), "ineligible"),
                         (passed.fill_null(False), "eligible"), else_="incomplete")
    return flags.select(
        # OMOP keys stay integers through the query (cheaper joins); ids are text outside.
        patient_id=flags.pid.cast("string"),
        **{c.id: ibis.cases((flags[c.id] == True, n.MET),  # noqa: E712
                            (flags[c.id] == False, n.NOT_MET),  # noqa: E712
                            else_=n.UNKNOWN) for c in criteria},
        verdict=verdict)
