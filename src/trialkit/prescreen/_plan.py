"""The shape of the one query per cohort: per-table aggregates joined onto the patient table.

Every node that looks at event rows registers aggregate columns on that table's plan (one
GROUP BY per logical table, however many criteria read it), or adds a separate keyed
feature table when it needs a self-join. ``Plan.build`` joins them all onto the patients.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, is_dataclass

import ibis
import ibis.expr.types as ir

from trialkit.core.eligibility.nodes import TableRef, Window
from trialkit.prescreen._sql import (
    coverage_column,
    covers,
    in_window,
    window_column,
    window_start,
)
from trialkit.prescreen.logical import LogicalTables

RowExpr = Callable[[ir.Table], ir.Value]
PATIENT_COLUMNS = {"patient_id": "pid", "sex": "p_sex", "birth_date": "p_birth",
                   "consent_date": "p_consent", "index_date": "p_index",
                   "obs_start": "p_obs_start", "obs_end": "p_obs_end"}


@dataclass
class _TablePlan:
    firsts: dict[str, RowExpr] = field(default_factory=dict)
    """Per-patient values the aggregates need on every row (e.g. the latest date of a
    selection): one GROUP BY, joined back onto the rows."""
    flags: dict[str, RowExpr] = field(default_factory=dict)
    """Row-level values several aggregates read: computed once per row."""
    aggregates: dict[str, RowExpr] = field(default_factory=dict)
    windows: set[Window | None] = field(default_factory=set)
    """The windows every aggregate of the table restricts its rows to (None: any row)."""
    ref: TableRef | None = None
    """How the table dates its rows (None: a table without dates, read whole)."""


class Plan:
    def __init__(self, tables: LogicalTables, windows: Iterable[Window] = ()) -> None:
        """``windows``: every window the criteria use; their start dates are computed once
        per patient instead of once per event row."""
        self.tables = tables
        patient = tables.patient
        patients = patient.select(**{new: patient[old] for old, new in PATIENT_COLUMNS.items()})
        starts = {window_column(w): w for w in windows}
        patients = patients.mutate(**{name: window_start(patients, w)
                                      for name, w in sorted(starts.items())})
        spans: list[Window | None] = [None, *(w for _, w in sorted(starts.items()))]
        self.patients = patients.mutate(**{coverage_column(w): covers(patients, w)
                                           for w in spans})
        self._plans: dict[str, _TablePlan] = {}
        self._features: list[ir.Table] = []
        self._names = 0
        self._cache: dict[object, str] = {}

    def name(self, hint: str) -> str:
        self._names += 1
        return f"f{self._names}_{hint}"

    def rows(self, table: TableRef | str) -> ir.Table:
        """The table's rows with their patient's dates (columns ``p_*``) beside them."""
        events = self.tables.table(table if isinstance(table, str) else table.name)
        events = events.rename(pid="patient_id")
        return events.join(self.patients, "pid")

    def first_pass(self, table: str, hint: str, expr: RowExpr, *, key: object) -> str:
        """A per-patient aggregate that later aggregates of ``table`` can read on each row.
        Nodes that ask for the same ``key`` share one column."""
        return self._once(key, lambda: self._add(table, "firsts", hint, expr))

    def within(self, table: TableRef | str, window: Window | None) -> None:
        """Declare that some aggregates of ``table`` read only rows in ``window``. Rows outside
        every declared window are dropped before aggregating. (A table given by name has no
        dates: its window must be None.)"""
        name = table if isinstance(table, str) else table.name
        plan = self._plans.setdefault(name, _TablePlan())
        plan.windows.add(window)
        if not isinstance(table, str):
            plan.ref = table

    def flag(self, table: str, hint: str, expr: RowExpr, *, key: object) -> str:
        """A row-level value (after the first pass) that aggregates read as ``r[name]``."""
        return self._once(key, lambda: self._add(table, "flags", hint, expr))

    def count(self, table: str, hint: str, where: RowExpr, *, key: object) -> str:
        """A count of the rows where ``where`` is true; returns its column name. Nodes that
        ask for the same ``key`` (e.g. the same selection) share one column."""
        return self._once(key, lambda: self._add(
            table, "aggregates", hint, lambda r: r.pid.count(where=where(r).fill_null(False))))

    def _once(self, key: object, make: Callable[[], str]) -> str:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def _add(self, table: str, kind: str, hint: str, expr: RowExpr) -> str:
        name = self.name(hint)
        getattr(self._plans.setdefault(table, _TablePlan()), kind)[name] = expr
        return name

    def feature(self, table: ir.Table) -> None:
        """A table keyed by ``pid`` with feature columns named by :meth:`name`."""
        self._features.append(table)

    def build(self) -> ir.Table:
        result = self.patients
        for table, plan in self._plans.items():
            rows = self.rows(table)
            if plan.ref is not None and plan.windows and None not in plan.windows:
                ref = plan.ref
                rows = rows.filter(ibis.or_(*[in_window(rows, ref, w) for w in sorted(
                    plan.windows, key=repr)]))
            if plan.firsts:
                firsts = rows.group_by("pid").aggregate(
                    **{name: expr(rows) for name, expr in plan.firsts.items()})
                rows = rows.join(firsts, "pid")
            if plan.flags:
                rows = rows.mutate(**{name: expr(rows) for name, expr in plan.flags.items()})
            grouped = rows.group_by("pid").aggregate(
                **{name: expr(rows) for name, expr in plan.aggregates.items()})
            result = _left_join(result, grouped)
        for feature in self._features:
            result = _left_join(result, feature)
        return result


def _left_join(left: ir.Table, right: ir.Table) -> ir.Table:
    key = f"k_{ibis.util.gen_name('j')}"
    right = right.rename({key: "pid"})
    joined = left.left_join(right, left.pid == right[key])
    return joined.drop(key)


def windows_in(node: object) -> set[Window]:
    """Every window inside a node tree."""
    if isinstance(node, Window):
        return {node}
    found: set[Window] = set()
    if isinstance(node, tuple):
        for item in node:
            found |= windows_in(item)
    elif is_dataclass(node) and not isinstance(node, type):
        for f in fields(node):
            found |= windows_in(getattr(node, f.name))
    return found
