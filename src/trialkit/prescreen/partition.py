"""Screening a source one slice of patients at a time, so memory does not grow with its size.

The patients are cut into consecutive ranges of a key (OMOP ``person_id``, else the logical
``patient_id``), each holding ``size`` patients. Every table that carries the key is put behind a
view restricted to the current range; the cohort query is built and compiled once over those
views and re-run after each range swap. On DuckDB the range filter sits directly on the table
scan, so Parquet row groups and table zone maps outside the range are skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend

from trialkit.prescreen.logical import LogicalTables, RecordSpec
from trialkit.prescreen.omop import omop_to_logical

DEFAULT_PARTITION_SIZE = 100_000
Bounds = tuple[Any, Any]
"""(first key, first key of the next range or None for the last range)."""


@dataclass(frozen=True)
class Partitioned:
    """Base tables of a source and how to turn (restricted) base tables into logical ones."""

    tables: dict[str, ir.Table]
    key: str
    """The patient key column; every table that has it is restricted per range."""
    key_table: str
    """The table holding each patient once (its keys decide the ranges)."""
    logical: Callable[[dict[str, ir.Table]], LogicalTables]


def of_omop(tables: dict[str, ir.Table], as_of: dt.date, spec: RecordSpec) -> Partitioned:
    return Partitioned(tables, "person_id", "person",
                       lambda restricted: omop_to_logical(restricted, as_of=as_of, spec=spec))


def of_logical(tables: LogicalTables) -> Partitioned:
    return Partitioned(dict(tables.items()), "patient_id", "patient", LogicalTables)


def partition_bounds(con: BaseBackend, table: ir.Table, key: str, size: int) -> list[Bounds]:
    """Consecutive key ranges of ``size`` patients each (the last may hold fewer)."""
    if size < 1:
        raise ValueError("partition size: must be at least 1")
    ordered = table.select(k=table[key]).mutate(n=ibis.row_number().over(order_by="k"))
    starts = ordered.filter(ordered.n % size == 0).order_by("k").k
    firsts = con.to_pyarrow(starts).to_pylist()
    if not firsts:
        return [(None, None)]
    return list(zip(firsts, [*firsts[1:], None], strict=True))


def restricted(table: ir.Table, key: str, bounds: Bounds) -> ir.Table:
    low, high = bounds
    if low is not None:
        table = table.filter(table[key] >= low)
    if high is not None:
        table = table.filter(table[key] < high)
    return table


class PartitionRunner:
    """Runs one query per key range over views named ``<prefix>_<table>`` (PostgreSQL: over
    the base tables, filtered per range)."""

    def __init__(self, source: Partitioned, con: BaseBackend, size: int) -> None:
        self.source, self.con = source, con
        self.prefix = ibis.util.gen_name("tk_part")
        self.bounds = partition_bounds(con, source.tables[source.key_table], source.key, size)
        self._bounds: Bounds = (None, None)
        # A pre-screen never creates objects in the user's PostgreSQL database: there the
        # range is a filter inside each range's query instead of a view swapped under one.
        self._views = con.name != "postgres"
        self._compiled = False

    def _point_views_at(self, bounds: Bounds) -> None:
        self._bounds = bounds
        if not self._views:
            return
        for name, table in self.source.tables.items():
            if self.source.key in table.columns:
                self.con.create_view(f"{self.prefix}_{name}",
                                     restricted(table, self.source.key, bounds), overwrite=True)

    def logical(self) -> LogicalTables:
        """The logical tables of the current range: over the range views, or (no views) over
        the base tables filtered to the range."""
        key = self.source.key
        if self._views:
            views = {name: (self.con.table(f"{self.prefix}_{name}") if key in table.columns
                            else table)
                     for name, table in self.source.tables.items()}
        else:
            views = {name: (restricted(table, key, self._bounds) if key in table.columns
                            else table)
                     for name, table in self.source.tables.items()}
        return self.source.logical(views)

    def each(self, build: Callable[[LogicalTables], ir.Table]) -> Iterator[pa.Table]:
        """``build``'s query run on every range in turn, as Arrow tables."""
        query: ir.Table | None = None
        for bounds in self.bounds:
            self._point_views_at(bounds)
            if query is None or not self._views:
                query = build(self.logical())
            yield self._run(query)

    def each_logical(self) -> Iterator[LogicalTables]:
        """The logical tables of every range in turn (read them before the next one)."""
        for bounds in self.bounds:
            self._point_views_at(bounds)
            yield self.logical()

    def _run(self, query: ir.Table) -> pa.Table:
        if self.con.name != "duckdb":
            result: pa.Table = self.con.to_pyarrow(query)
            return result
        # Compiling the cohort query takes over a second: compile it once into a view over
        # the range views, and read that view for every range.
        view = f"{self.prefix}_result"
        if not self._compiled:
            self.con.create_view(view, query)
            self._compiled = True
        # A relation, not a cursor: DuckDB hands its Arrow over without an extra copy.
        table: pa.Table = self.con.con.sql(f"SELECT * FROM {view}").to_arrow_table()
        return table

    def close(self) -> None:
        if not self._views:
            return
        if self._compiled:
            self._drop(f"{self.prefix}_result")
        for name, table in self.source.tables.items():
            if self.source.key in table.columns:
                self._drop(f"{self.prefix}_{name}")

    def _drop(self, view: str) -> None:
        # Ibis 12's drop_view renders the statement without the view's name (DuckDB and
        # Spark alike); the generated name needs no quoting in either dialect.
        self.con.raw_sql(f"DROP VIEW IF EXISTS {view}")
