"""Patient sources a pre-screen reads: a folder of patient-record JSON/JSONL files, an OMOP
CDM v5.4 Parquet folder, an OMOP DuckDB database file, or OMOP tables in a PostgreSQL schema
(``postgresql://user@host/db?schema=cdm``)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import ibis.expr.types as ir
from ibis.backends import BaseBackend

from trialkit.core.eligibility.record import PatientRecord, RecordError, parse_record
from trialkit.prescreen.backends import POSTGRES_SCHEMES
from trialkit.prescreen.logical import LogicalTables, RecordSpec, from_records
from trialkit.prescreen.omop import omop_to_logical, read_omop, read_omop_postgres

Kind = Literal["records", "omop-parquet", "omop-duckdb", "omop-postgres"]
Source = Path | str
"""A path, or a postgresql:// URL."""
DUCKDB_SUFFIXES = (".duckdb", ".ddb", ".db")


class SourceError(ValueError):
    """A source that is neither a record folder nor an OMOP extract, or is unreadable."""


@dataclass(frozen=True)
class Rejected:
    where: str
    """file, or file:line for JSON Lines."""
    message: str


@dataclass
class RecordFolder:
    records: list[PatientRecord] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def is_database_url(source: Source) -> bool:
    return isinstance(source, str) and source.split("://", 1)[0].lower() in POSTGRES_SCHEMES


def kind_of(source: Source) -> Kind:
    if is_database_url(source):
        return "omop-postgres"
    source = Path(source)
    if source.is_file():
        if source.suffix.lower() in DUCKDB_SUFFIXES:
            return "omop-duckdb"
        if source.suffix.lower() in (".json", ".jsonl"):
            return "records"
        raise SourceError(f"{source}: not a DuckDB file ({', '.join(DUCKDB_SUFFIXES)}) "
                          "nor a .json/.jsonl record file")
    if not source.is_dir():
        raise SourceError(f"{source}: no such file or folder")
    if (source / "person.parquet").is_file() or (source / "person").is_dir():
        return "omop-parquet"
    if any(source.glob("*.json")) or any(source.glob("*.jsonl")):
        return "records"
    raise SourceError(f"{source}: holds neither OMOP tables (person.parquet) nor patient "
                      "records (*.json, *.jsonl)")


def read_records(source: Path, spec: RecordSpec) -> RecordFolder:
    """Every record of the folder (or file), read against ``spec``'s record schema; malformed
    ones are listed, not screened."""
    files = [source] if source.is_file() else sorted(
        [*source.glob("*.json"), *source.glob("*.jsonl")])
    folder = RecordFolder()
    for path in files:
        for where, data in _documents(path, folder):
            try:
                folder.records.append(parse_record(data, spec.schema, spec.catalogue))
            except RecordError as exc:
                who = f" ({exc.patient_id})" if exc.patient_id else ""
                folder.rejected.append(Rejected(where, f"{exc}{who}"))
    seen = Counter(r.patient_id for r in folder.records)
    repeated = sorted(pid for pid, times in seen.items() if times > 1)
    if repeated:
        raise SourceError(f"patient_id repeated across records: {', '.join(repeated[:5])}")
    return folder


def _documents(path: Path, folder: RecordFolder) -> Iterator[tuple[str, object]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        folder.rejected.append(Rejected(str(path), f"cannot read: {exc}"))
        return
    if path.suffix.lower() == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                yield from _decoded(f"{path}:{number}", line, folder)
        return
    for where, data in _decoded(str(path), text, folder):
        if isinstance(data, list):
            yield from ((f"{where}[{i}]", item) for i, item in enumerate(data))
        else:
            yield where, data


def _decoded(where: str, text: str, folder: RecordFolder) -> Iterator[tuple[str, object]]:
    try:
        yield where, json.loads(text)
    except json.JSONDecodeError as exc:
        folder.rejected.append(Rejected(where, f"not JSON: {exc.msg} at line {exc.lineno}, "
                                               f"column {exc.colno}"))


@dataclass
class Loaded:
    kind: Kind
    tables: LogicalTables
    con: BaseBackend | None
    """The connection the tables live on (OMOP), or None (records run anywhere)."""
    records: list[PatientRecord] | None = None
    rejected: list[Rejected] = field(default_factory=list)
    omop: dict[str, ir.Table] | None = None
    """The OMOP tables the logical ones are mapped from (OMOP sources only)."""


def load(source: Source, *, as_of: dt.date, spec: RecordSpec,
         con: BaseBackend | None = None) -> Loaded:
    """The logical tables of ``source`` as ``spec`` (the compiled criteria's record) needs."""
    kind = kind_of(source)
    if kind == "omop-postgres":
        pg_con, pg_tables = read_omop_postgres(str(source))
        return Loaded(kind, omop_to_logical(pg_tables, as_of=as_of, spec=spec), pg_con,
                      omop=pg_tables)
    source = Path(source)
    if kind == "records":
        folder = read_records(source, spec)
        return Loaded(kind, from_records(folder.records, as_of=as_of, schema=spec.schema),
                      None, folder.records, folder.rejected)
    omop_con, tables = read_omop(source, con)
    return Loaded(kind, omop_to_logical(tables, as_of=as_of, spec=spec), omop_con, omop=tables)
