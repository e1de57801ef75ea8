"""The logical patient record (docs/reference/patient-record.md) and its strict parser.

``parse_record`` turns decoded JSON into a frozen ``PatientRecord`` against a record schema
(the base tables and a protocol's own) and a lab catalogue, or raises ``RecordError`` listing
every problem with its field path (``labs[2].unit``). Unknown keys are errors: a misspelt table
would otherwise read as "no rows" and could make a patient eligible. Codes of a lower-case kind
are lower-cased, units are stored in their canonical spelling, a qualitative result given as a
quantity (``"positive"``) is stored in the row's text column; nothing else is changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trialkit.core.eligibility.record_fields import Reader
from trialkit.core.eligibility.record_rows import read_row
from trialkit.core.protocol.labs import LabCatalogue
from trialkit.core.protocol.record import ATTESTATIONS, RecordSchema, TableDef

if TYPE_CHECKING:
    from trialkit.core.protocol.model import Protocol

Row = Mapping[str, Any]
"""One row of a record table: every column of the table, None where not recorded."""


class RecordError(ValueError):
    """A malformed record: every problem with the path of the field it is about."""

    def __init__(self, problems: list[tuple[str, str]], patient_id: str | None = None) -> None:
        self.problems = problems
        self.patient_id = patient_id
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """One patient's screening data; ``consent_date``/``index_date`` may be left to ``as_of``.

    ``tables`` holds the rows of every record table by table id (a table the record does not
    mention has no rows); each row carries every column of its table.
    """

    patient_id: str
    sex: str | None = None
    birth_date: dt.date | None = None
    consent_date: dt.date | None = None
    index_date: dt.date | None = None
    observation_period: tuple[dt.date, dt.date] | None = None
    attestations: Mapping[str, bool] = field(default_factory=dict)
    tables: Mapping[str, tuple[Row, ...]] = field(default_factory=dict)

    def rows(self, table_id: str) -> tuple[Row, ...]:
        """The rows of one table (none when the record has none)."""
        return self.tables.get(table_id, ())


_PERIOD = "observation_period"


def parse_record(data: object, schema: RecordSchema, catalogue: LabCatalogue) -> PatientRecord:
    """Validate decoded JSON as a patient record of ``schema``; raise RecordError naming each
    bad field."""
    r = Reader()
    keys = (*(f.id for f in schema.patient), ATTESTATIONS, *schema.table_ids)
    obj = r.mapping(data, "", keys)
    if obj is None:
        raise RecordError(r.problems)
    patient_id = r.text(obj, "patient_id", "", required=True)
    record = PatientRecord(
        patient_id=patient_id or "",
        sex=r.choice(obj, "sex", "", _sex_values(schema)),
        birth_date=r.date(obj, "birth_date", ""),
        consent_date=r.date(obj, "consent_date", ""),
        index_date=r.date(obj, "index_date", ""),
        observation_period=_period(r, obj),
        attestations=_attestations(r, obj),
        tables=_tables(r, obj, schema, catalogue),
    )
    if r.problems:
        raise RecordError(r.problems, patient_id)
    return record


def parse_record_for(data: object, protocol: Protocol) -> PatientRecord:
    """``parse_record`` against a protocol's record schema and lab catalogue."""
    return parse_record(data, protocol.record_schema(), protocol.lab_catalogue())


def _sex_values(schema: RecordSchema) -> tuple[str, ...]:
    field_def = next((f for f in schema.patient if f.id == "sex"), None)
    return tuple(field_def.values) if field_def is not None else ("female", "male")


def _tables(r: Reader, obj: Mapping[str, Any], schema: RecordSchema,
            catalogue: LabCatalogue) -> dict[str, tuple[Row, ...]]:
    tables: dict[str, tuple[Row, ...]] = {}
    for table in schema.tables:
        rows = tuple(r.each(obj, table.id, table.column_ids, _row_reader(table, catalogue)))
        if rows:
            tables[table.id] = rows
    return tables


def _row_reader(table: TableDef, catalogue: LabCatalogue
                ) -> Callable[[Reader, Mapping[str, Any], str], dict[str, Any] | None]:
    def read(reader: Reader, row: Mapping[str, Any], at: str) -> dict[str, Any] | None:
        return read_row(reader, row, at, table, catalogue)
    return read


def _period(r: Reader, obj: Mapping[str, Any]) -> tuple[dt.date, dt.date] | None:
    span = r.mapping(obj.get(_PERIOD), _PERIOD, ("start", "end"))
    if span is None:
        return None
    start = r.date(span, "start", _PERIOD, required=True)
    end = r.date(span, "end", _PERIOD, required=True)
    if start is None or end is None:
        return None
    if end < start:
        r.problem(f"{_PERIOD}.end", f"{end} is before the start {start}")
    return start, end


def _attestations(r: Reader, obj: Mapping[str, Any]) -> dict[str, bool]:
    raw = obj.get(ATTESTATIONS)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        r.problem(ATTESTATIONS, f"expected an object of true/false, got {type(raw).__name__}")
        return {}
    facts: dict[str, bool] = {}
    for key, value in raw.items():
        if value is None:
            continue  # stated as unknown: same as absent
        if not isinstance(value, bool):
            r.problem(f"{ATTESTATIONS}.{key}", f"expected true, false or null, got {value!r}")
            continue
        facts[str(key)] = value
    return facts
