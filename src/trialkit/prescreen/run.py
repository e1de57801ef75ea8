"""A whole pre-screen: read a source, screen it range by range of patients, rank, count.

Whatever the source's size, only one range of patients (``partition_size``) is screened at a
time: each range's statuses are appended to a scratch Parquet file and added to the funnel;
DuckDB then ranks the scratch file (sorting on disk if it must) into the output and the top
candidates. Small sources are simply one range.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from ibis.backends import BaseBackend

from trialkit.core.eligibility.compile import CompiledCriteria, screen
from trialkit.core.eligibility.record import PatientRecord
from trialkit.core.hygiene import LEAD_PATTERN, NUMBER_PATTERN, QUOTE
from trialkit.prescreen.backends import connect
from trialkit.prescreen.criteria import criteria_of
from trialkit.prescreen.engine import compile_cohort
from trialkit.prescreen.funnel import (
    Funnel,
    combined,
    funnel,
    ranked_sql,
    unknown_counts,
    with_ranks,
)
from trialkit.prescreen.logical import RecordSpec
from trialkit.prescreen.partition import (
    DEFAULT_PARTITION_SIZE,
    PartitionRunner,
    of_logical,
    of_omop,
)
from trialkit.prescreen.records import fetch, to_records
from trialkit.prescreen.sources import Loaded, Rejected, Source, SourceError, kind_of, load

ENGINES = ("duckdb", "spark", "postgres", "memory")
OUTPUT_SUFFIXES = (".parquet", ".csv")
Stage = Callable[[str], None]
RANK_MEMORY = "256MB"


@dataclass
class Prescreen:
    funnel: Funnel
    top: pa.Table
    """The best-ranked candidates (at most ``top``): a status column per criterion, verdict,
    unknown_count, rank."""
    rejected: list[Rejected] = field(default_factory=list)
    partitions: int = 1


def run_prescreen(compiled: CompiledCriteria, source: Source, *, as_of: dt.date,
                  engine: str | None = None, out: Path | None = None, top: int = 10,
                  partition_size: int = DEFAULT_PARTITION_SIZE,
                  stage: Stage | None = None) -> Prescreen:
    """Screen every patient of ``source``; write all of them, ranked, to ``out`` (Parquet or
    CSV by its suffix) if given. ``engine`` defaults to PostgreSQL for a postgresql:// source
    (the query runs where the data is), else DuckDB."""
    kind = kind_of(source)
    engine = engine or ("postgres" if kind == "omop-postgres" else "duckdb")
    _check(engine, out, partition_size)
    _check_engine_reads(engine, kind)
    note = stage or (lambda _: None)
    note("reading the source")
    # A PostgreSQL source brings its own connection; the others are read through this one.
    con = connect("duckdb") if engine in ("memory", "postgres") else connect(engine)
    try:
        loaded = load(source, as_of=as_of, spec=RecordSpec.of(compiled), con=con)
    except BaseException:
        _release(con)
        raise
    kinds: list[tuple[str, str]] = [(c.id, c.kind) for c in compiled.criteria]
    with tempfile.TemporaryDirectory(prefix="trialkit-prescreen-") as scratch:
        statuses = Path(scratch) / "statuses.parquet"
        try:
            chunks = _screened(compiled, loaded, loaded.con or con, engine, as_of,
                               partition_size)
            parts = _write_statuses(chunks, statuses, kinds, note)
        finally:
            # Closed before ranking too: the screening connection's buffers would otherwise
            # sit beside the ranking sort's and raise the peak memory.
            _release(con, loaded.con)
        note("ranking")
        best = _rank(statuses, Path(scratch), out, top)
    return Prescreen(combined(parts, kinds), best, loaded.rejected, len(parts))


def _check(engine: str, out: Path | None, partition_size: int) -> None:
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {', '.join(ENGINES)}, not {engine!r}")
    if out is not None and out.suffix.lower() not in OUTPUT_SUFFIXES:
        raise ValueError(f"--out: {out} must end in .parquet or .csv")
    if partition_size < 1:
        raise ValueError("partition_size: must be at least 1")


def _write_statuses(chunks: Iterator[pa.Table], statuses: Path, kinds: list[tuple[str, str]],
                    note: Stage) -> list[Funnel]:
    """Append every range's statuses (with ``unknown_count``) to ``statuses``; one funnel per
    range."""
    ids = [cid for cid, _ in kinds]
    parts: list[Funnel] = []
    writer: pq.ParquetWriter | None = None
    for number, chunk in enumerate(chunks, start=1):
        note(f"screening patients: range {number}")
        chunk = chunk.append_column("unknown_count", unknown_counts(chunk, ids))
        parts.append(funnel(chunk, kinds))
        writer = writer or pq.ParquetWriter(statuses, chunk.schema)
        writer.write_table(chunk)
    if writer is None:  # every source yields at least one (maybe empty) range
        raise RuntimeError("the pre-screen produced no result table")
    writer.close()
    return parts


def _release(*connections: BaseBackend | None) -> None:
    """Close in-process DuckDB and PostgreSQL connections (a Spark session is shared by the
    process and stays up)."""
    for con in {id(c): c for c in connections if c is not None}.values():
        if con.name in ("duckdb", "postgres"):
            con.disconnect()


def _check_engine_reads(engine: str, kind: str) -> None:
    if engine == "spark" and kind in ("omop-duckdb", "omop-postgres"):
        raise SourceError("--engine spark reads OMOP Parquet folders or record files, not a "
                          "database")
    if engine == "postgres" and kind != "omop-postgres":
        raise SourceError("--engine postgres screens OMOP tables where they are: give a "
                          "postgresql://user@host/database?schema=cdm SOURCE")
    if engine == "duckdb" and kind == "omop-postgres":
        raise SourceError("a postgresql:// SOURCE is screened inside PostgreSQL: use "
                          "--engine postgres (the default for it) or memory")


def _screened(compiled: CompiledCriteria, loaded: Loaded, con: BaseBackend, engine: str,
              as_of: dt.date, size: int) -> Iterator[pa.Table]:
    """Statuses and verdict, one range of patients at a time."""
    if engine == "memory" and loaded.records is not None:
        records = sorted(loaded.records, key=lambda r: r.patient_id)
        for start in range(0, max(len(records), 1), size):
            yield _screen_in_memory(compiled, records[start:start + size], as_of)
        return
    spec = RecordSpec.of(compiled)
    source = of_omop(loaded.omop, as_of, spec) if loaded.omop is not None else of_logical(
        loaded.tables)
    runner = PartitionRunner(source, con, size)
    try:
        if engine == "memory":
            for tables in runner.each_logical():
                yield _screen_in_memory(compiled, to_records(fetch(tables, con)), as_of)
        else:
            criteria = criteria_of(compiled)
            yield from runner.each(lambda tables: compile_cohort(criteria, tables,
                                                                 compiled.catalogue))
    finally:
        runner.close()


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


def _rank(statuses: Path, scratch: Path, out: Path | None, top: int) -> pa.Table:
    """Write every patient in rank order to ``out``; return the first ``top``."""
    db = duckdb.connect()
    try:
        db.execute("SET enable_progress_bar = false")
        db.execute("SET preserve_insertion_order = true")
        # The sort spills to the scratch folder beyond this, so memory does not grow with
        # the number of patients.
        db.execute(f"SET memory_limit = '{RANK_MEMORY}'")
        db.execute(f"SET temp_directory = '{_quoted(str(scratch / 'spill'))}'")
        sql = ranked_sql(f"read_parquet('{_quoted(str(statuses))}')")
        best = with_ranks(db.sql(f"{sql} LIMIT {int(top)}").to_arrow_reader(65_536)
                          ).read_all()
        if out is not None:
            write_batches(with_ranks(db.sql(sql).to_arrow_reader(65_536)), out)
        return best
    finally:
        db.close()


def _quoted(text: str) -> str:
    return text.replace("'", "''")


def write_batches(batches: pa.RecordBatchReader, out: Path) -> None:
    """Parquet for ``.parquet``, CSV for ``.csv``, a batch at a time."""
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        with pq.ParquetWriter(out, batches.schema) as parquet:
            for batch in batches:
                parquet.write_batch(batch)
    elif suffix == ".csv":
        with pacsv.CSVWriter(out, batches.schema) as csv:
            for batch in batches:
                csv.write_batch(spreadsheet_safe_batch(batch))
    else:
        raise ValueError(f"--out: {out} must end in .parquet or .csv")


def spreadsheet_safe_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Text cells a spreadsheet would run as a formula get a leading quote, as every CSV the
    system writes (``trialkit.core.hygiene.cells``): patient keys come from site databases."""
    columns = [_spreadsheet_safe(column) if pa.types.is_string(column.type)
               or pa.types.is_large_string(column.type) else column for column in batch.columns]
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema)


def _spreadsheet_safe(column: pa.Array) -> pa.Array:
    leads = pc.match_substring_regex(column, LEAD_PATTERN)
    number = pc.match_substring_regex(column, NUMBER_PATTERN)
    quoted = pc.binary_join_element_wise(pa.scalar(QUOTE, column.type), column, "")
    return pc.if_else(pc.and_(leads, pc.invert(number)), quoted, column)


def write_result(table: pa.Table, out: Path) -> None:
    """Parquet for ``.parquet``, CSV for ``.csv``."""
    write_batches(pa.RecordBatchReader.from_batches(table.schema, table.to_batches()), out)
