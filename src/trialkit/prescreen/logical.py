"""The logical patient tables both engines read, as Ibis tables.

A backend (a list of patient records, a folder of record files, an OMOP extract) maps its data
onto these eight tables; the compiled criteria read nothing else. Column names and types are
the ones agreed in PATIENT-RECORD.md; dates are dates, a null means "not recorded".

One liberty: ``patient_id`` may keep the source's own key type. OMOP's ``person_id`` is an
integer and stays one (joining and grouping millions of rows on integers is markedly cheaper
than on text, docs/adr/0006); the batch engine writes every id as text in its result.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from trialkit.core.eligibility.record import PatientRecord

STR, DATE, F64, I64, BOOL = pa.string(), pa.date32(), pa.float64(), pa.int64(), pa.bool_()
SCHEMAS: dict[str, pa.Schema] = {
    "patient": pa.schema([
        ("patient_id", STR), ("sex", STR), ("birth_date", DATE), ("consent_date", DATE),
        ("index_date", DATE), ("obs_start", DATE), ("obs_end", DATE)]),
    "diagnoses": pa.schema([
        ("patient_id", STR), ("code", STR), ("date", DATE), ("end_date", DATE)]),
    "relapses": pa.schema([("patient_id", STR), ("onset_date", DATE)]),
    "mri_scans": pa.schema([
        ("patient_id", STR), ("date", DATE), ("gd_enhancing_lesions", I64),
        ("new_t2_lesions", I64)]),
    "edss": pa.schema([("patient_id", STR), ("date", DATE), ("score", F64)]),
    "labs": pa.schema([
        ("patient_id", STR), ("date", DATE), ("test", STR), ("value", F64),
        ("value_text", STR), ("unit", STR), ("uln", F64), ("lln", F64)]),
    "medications": pa.schema([
        ("patient_id", STR), ("ingredient", STR), ("start_date", DATE), ("end_date", DATE),
        ("rxnorm", STR), ("atc", STR), ("route", STR)]),
    "attestations": pa.schema([("patient_id", STR), ("key", STR), ("value", BOOL)]),
}


@dataclass(frozen=True)
class LogicalTables:
    """The eight logical tables of one patient source."""

    patient: ir.Table
    diagnoses: ir.Table
    relapses: ir.Table
    mri_scans: ir.Table
    edss: ir.Table
    labs: ir.Table
    medications: ir.Table
    attestations: ir.Table

    def table(self, name: str) -> ir.Table:
        if name not in SCHEMAS:
            raise KeyError(f"no logical table '{name}'")
        result: ir.Table = getattr(self, name)
        return result

    def items(self) -> Iterable[tuple[str, ir.Table]]:
        for f in fields(self):
            yield f.name, getattr(self, f.name)


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


def records_to_arrow(records: Sequence[PatientRecord],
                     as_of: dt.date | None) -> dict[str, pa.Table]:
    """The logical tables of some patient records, as Arrow tables."""
    rows: dict[str, list[dict[str, object]]] = {name: [] for name in SCHEMAS}
    for record in records:
        _add_record(rows, record, as_of)
    return {name: pa.Table.from_pylist(rows[name], schema=schema)
            for name, schema in SCHEMAS.items()}


def _add_record(rows: dict[str, list[dict[str, object]]], record: PatientRecord,
                as_of: dt.date | None) -> None:
    pid = record.patient_id
    consent, index, start, end = record_dates(record, as_of)
    rows["patient"].append({
        "patient_id": pid, "sex": record.sex, "birth_date": record.birth_date,
        "consent_date": consent, "index_date": index, "obs_start": start, "obs_end": end})
    rows["diagnoses"] += [{"patient_id": pid, "code": d.code, "date": d.date,
                           "end_date": d.end_date} for d in record.diagnoses]
    rows["relapses"] += [{"patient_id": pid, "onset_date": r.onset_date}
                         for r in record.relapses]
    rows["mri_scans"] += [{"patient_id": pid, "date": m.date,
                           "gd_enhancing_lesions": m.gd_enhancing_lesions,
                           "new_t2_lesions": m.new_t2_lesions} for m in record.mri_scans]
    rows["edss"] += [{"patient_id": pid, "date": e.date, "score": e.score} for e in record.edss]
    rows["labs"] += [{"patient_id": pid, "date": lab.date, "test": lab.test, "value": lab.value,
                      "value_text": lab.value_text, "unit": lab.unit, "uln": lab.uln,
                      "lln": lab.lln} for lab in record.labs]
    rows["medications"] += [{"patient_id": pid, "ingredient": m.ingredient,
                             "start_date": m.start_date, "end_date": m.end_date,
                             "rxnorm": m.rxnorm, "atc": m.atc, "route": m.route}
                            for m in record.medications]
    rows["attestations"] += [{"patient_id": pid, "key": key, "value": value}
                             for key, value in record.attestations.items()]


def from_arrow(tables: dict[str, pa.Table]) -> LogicalTables:
    """Logical tables over Arrow data; run them on any Ibis backend."""
    missing = sorted(set(SCHEMAS) - set(tables))
    if missing:
        raise ValueError(f"missing logical tables: {', '.join(missing)}")
    return LogicalTables(**{name: ibis.memtable(tables[name].cast(SCHEMAS[name]))
                            for name in SCHEMAS})


def from_records(records: Sequence[PatientRecord], *, as_of: dt.date | None) -> LogicalTables:
    seen = Counter(r.patient_id for r in records)
    duplicated = sorted(pid for pid, times in seen.items() if times > 1)
    if duplicated:
        raise ValueError(f"patient_id: duplicated {', '.join(duplicated[:5])}")
    return from_arrow(records_to_arrow(records, as_of))
