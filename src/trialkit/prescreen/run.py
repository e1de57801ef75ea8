"""A whole pre-screen: read a source, screen every patient on one engine, rank, count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from ibis.backends import BaseBackend

from trialkit.core.eligibility.compile import CompiledCriteria, screen
from trialkit.core.eligibility.record import PatientRecord
from trialkit.prescreen.backends import connect
from trialkit.prescreen.batch import screen_tables
from trialkit.prescreen.funnel import Funnel, funnel, ranked
from trialkit.prescreen.records import fetch, to_records
from trialkit.prescreen.sources import Loaded, Rejected, SourceError, kind_of, load

ENGINES = ("duckdb", "spark", "memory")
Stage = Callable[[str], None]


@dataclass
class Prescreen:
    result: pa.Table
    """Every patient, ranked, with a status column per criterion, verdict, unknown_count, rank."""
    funnel: Funnel
    rejected: list[Rejected] = field(default_factory=list)


def run_prescreen(compiled: CompiledCriteria, source: Path, *, as_of: dt.date,
                  engine: str = "duckdb", stage: Stage | None = None) -> Prescreen:
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {', '.join(ENGINES)}, not {engine!r}")
    note = stage or (lambda _: None)
    note("reading the source")
    con = connect(engine) if engine != "memory" else connect("duckdb")
    if engine == "spark" and kind_of(source) == "omop-duckdb":
        raise SourceError("--engine spark reads OMOP Parquet folders or record files, not a "
                          "DuckDB database file")
    loaded = load(source, as_of=as_of, con=con)
    note("screening")
    if engine == "memory":
        statuses = _screen_in_memory(compiled, _records_of(loaded, con), as_of)
    else:
        statuses = screen_tables(compiled, loaded.tables, loaded.con or con)
    note("ranking")
    ids = [c.id for c in compiled.criteria]
    counted = funnel(statuses, [(c.id, c.kind) for c in compiled.criteria])
    return Prescreen(ranked(statuses, ids), counted, loaded.rejected)


def _records_of(loaded: Loaded, con: BaseBackend) -> list[PatientRecord]:
    if loaded.records is not None:
        return loaded.records
    return to_records(fetch(loaded.tables, loaded.con or con))


def _screen_in_memory(compiled: CompiledCriteria, records: list[PatientRecord],
                      as_of: dt.date) -> pa.Table:
    rows = []
    for record in records:
        outcome = screen(compiled, record, as_of=as_of)
        rows.append({"patient_id": record.patient_id, **outcome.statuses(),
                     "verdict": outcome.verdict})
    names = ["patient_id", *(c.id for c in compiled.criteria), "verdict"]
    schema = pa.schema([(name, pa.string()) for name in names])
    return pa.Table.from_pylist(rows, schema=schema)


def write_result(table: pa.Table, out: Path) -> None:
    """Parquet for ``.parquet``, CSV for ``.csv``."""
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        pq.write_table(table, out)
    elif suffix == ".csv":
        pacsv.write_csv(table, out)
    else:
        raise ValueError(f"--out: {out} must end in .parquet or .csv")
