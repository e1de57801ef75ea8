"""The logical patient tables both engines read, as Ibis tables, derived from the record schema.

A backend (a list of patient records, a folder of record files, an OMOP extract) maps its data
onto these tables; the compiled criteria read nothing else. Besides ``patient`` and
``attestations`` there is one table per table of the record schema (the base tables and the
protocol's own), with the columns it declares: dates are dates, numbers doubles, counts
integers, codes and text strings; a null means "not recorded".

One liberty: ``patient_id`` may keep the source's own key type. OMOP's ``person_id`` is an
integer and stays one (joining and grouping millions of rows on integers is markedly cheaper
than on text, docs/adr/0006); the batch engine writes every id as text in its result.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from trialkit.core.eligibility.record import PatientRecord
from trialkit.core.protocol.labs import LabCatalogue
from trialkit.core.protocol.record import (
    ATTESTATIONS,
    PATIENT_TABLE,
    RecordSchema,
    TableDef,
    base_schema,
)
from trialkit.prescreen.criteria import catalogue_of

STR, DATE, F64, I64, BOOL = pa.string(), pa.date32(), pa.float64(), pa.int64(), pa.bool_()
ARROW_TYPES: dict[str, pa.DataType] = {"date": DATE, "number": F64, "count": I64, "text": STR,
                                       "code": STR, "quantity": F64}
PATIENT_SCHEMA = pa.schema([
    ("patient_id", STR), ("sex", STR), ("birth_date", DATE), ("consent_date", DATE),
    ("index_date", DATE), ("obs_start", DATE), ("obs_end", DATE)])
ATTESTATION_SCHEMA = pa.schema([("patient_id", STR), ("key", STR), ("value", BOOL)])


def table_schema(table: TableDef) -> pa.Schema:
    """A record table as an Arrow schema: ``patient_id`` and the table's columns."""
    return pa.schema([("patient_id", STR),
                      *((c.id, ARROW_TYPES[c.type]) for c in table.columns)])


def arrow_schemas(schema: RecordSchema) -> dict[str, pa.Schema]:
    """Every logical table of a record schema by name, ``patient`` first."""
    return {PATIENT_TABLE: PATIENT_SCHEMA,
            **{table.id: table_schema(table) for table in schema.tables},
            ATTESTATIONS: ATTESTATION_SCHEMA}


@dataclass(frozen=True)
class RecordSpec:
    """What a source must provide for some compiled criteria: the record schema's tables, the
    lab catalogue (unit spellings) and the attestations the criteria read."""

    schema: RecordSchema
    catalogue: LabCatalogue
    attestation_keys: tuple[str, ...] = ()

    @classmethod
    def of(cls, compiled: Any) -> RecordSpec:
        """From compiled criteria (``compile.CompiledCriteria``); a bare list of criteria reads
        the base record with the packaged catalogue."""
        schema = getattr(compiled, "schema", None)
        keys = compiled.attestation_keys() if hasattr(compiled, "attestation_keys") else ()
        return cls(schema if isinstance(schema, RecordSchema) else base_schema(),
                   catalogue_of(compiled), tuple(keys))


class LogicalTables:
    """The logical tables of one patient source, by name."""

    def __init__(self, tables: Mapping[str, ir.Table]) -> None:
        missing = [name for name in (PATIENT_TABLE, ATTESTATIONS) if name not in tables]
        if missing:
            raise ValueError(f"missing logical tables: {', '.join(missing)}")
        self._tables = dict(tables)

    @property
    def patient(self) -> ir.Table:
        return self._tables[PATIENT_TABLE]

    @property
    def attestations(self) -> ir.Table:
        return self._tables[ATTESTATIONS]

    def table(self, name: str) -> ir.Table:
        if name not in self._tables:
            raise KeyError(f"no logical table '{name}' (tables: {', '.join(self._tables)})")
        return self._tables[name]

    def items(self) -> Iterable[tuple[str, ir.Table]]:
        return self._tables.items()


def record_dates(record: PatientRecord, as_of: dt.date | None) -> tuple[dt.date | None, ...]:
    """(consent, index, observation start, observation end) as the reference engine sets
    them (``compile.screening_dates``): a record without an observation period is complete
    from birth to the later of its index and consent dates."""
    index = record.index_date or as_of
    consent = record.consent_date or index
    if record.observation_period is not None:
        start, end = record.observation_period
        return consent, index, start, end
    last = max(index, consent) if index is not None and consent is not None else index
    return consent, index, record.birth_date, last


def records_to_arrow(records: Sequence[PatientRecord], as_of: dt.date | None,
                     schema: RecordSchema) -> dict[str, pa.Table]:
    """The logical tables of some patient records, as Arrow tables."""
    schemas = arrow_schemas(schema)
    rows: dict[str, list[Mapping[str, object]]] = {name: [] for name in schemas}
    for record in records:
        _add_record(rows, record, as_of, schema)
    return {name: pa.Table.from_pylist(rows[name], schema=arrow)
            for name, arrow in schemas.items()}


def _add_record(rows: dict[str, list[Mapping[str, object]]], record: PatientRecord,
                as_of: dt.date | None, schema: RecordSchema) -> None:
    pid = record.patient_id
    consent, index, start, end = record_dates(record, as_of)
    rows[PATIENT_TABLE].append({
        "patient_id": pid, "sex": record.sex, "birth_date": record.birth_date,
        "consent_date": consent, "index_date": index, "obs_start": start, "obs_end": end})
    for table_id in record.tables:
        if table_id not in rows or table_id in (PATIENT_TABLE, ATTESTATIONS):
            raise ValueError(f"{pid}: table '{table_id}' is not in the record schema "
                             f"(tables: {', '.join(schema.table_ids)})")
        rows[table_id] += [{"patient_id": pid, **row} for row in record.rows(table_id)]
    rows[ATTESTATIONS] += [{"patient_id": pid, "key": key, "value": value}
                           for key, value in record.attestations.items()]


def from_arrow(tables: Mapping[str, pa.Table], schema: RecordSchema) -> LogicalTables:
    """Logical tables over Arrow data; run them on any Ibis backend."""
    schemas = arrow_schemas(schema)
    missing = sorted(set(schemas) - set(tables))
    if missing:
        raise ValueError(f"missing logical tables: {', '.join(missing)}")
    return LogicalTables({name: ibis.memtable(tables[name].cast(arrow))
                          for name, arrow in schemas.items()})


def from_records(records: Sequence[PatientRecord], *, as_of: dt.date | None,
                 schema: RecordSchema) -> LogicalTables:
    seen = Counter(r.patient_id for r in records)
    duplicated = sorted(pid for pid, times in seen.items() if times > 1)
    if duplicated:
        raise ValueError(f"patient_id: duplicated {', '.join(duplicated[:5])}")
    return from_arrow(records_to_arrow(records, as_of, schema), schema)
