"""Logical tables → patient records, so the in-memory engine can screen a database source.

Used to run the reference engine on (a sample of) an OMOP extract: the CLI's
``--engine memory``, the engine-agreement tests and the benchmark's per-patient comparison.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import ibis
import pyarrow as pa
from ibis.backends import BaseBackend

from trialkit.core.eligibility import record as rec
from trialkit.core.protocol.record import ATTESTATIONS, PATIENT_TABLE
from trialkit.prescreen.logical import LogicalTables


def fetch(tables: LogicalTables, con: BaseBackend, *, limit: int | None = None
          ) -> dict[str, pa.Table]:
    """The logical tables as Arrow, restricted to the first ``limit`` patients by id."""
    patient = tables.patient
    if limit is not None:
        patient = patient.order_by("patient_id").limit(limit)
    result = {PATIENT_TABLE: con.to_pyarrow(patient)}
    ids = ibis.memtable(result[PATIENT_TABLE].select(["patient_id"]))
    for name, table in tables.items():
        if name != PATIENT_TABLE:
            chosen = table.semi_join(ids, "patient_id") if limit is not None else table
            result[name] = con.to_pyarrow(chosen)
    return result


def to_records(tables: dict[str, pa.Table]) -> list[rec.PatientRecord]:
    """One PatientRecord per row of ``patient``, with that patient's rows of every table."""
    rows: dict[str, defaultdict[str, list[dict[str, Any]]]] = {}
    for name, table in tables.items():
        if name != PATIENT_TABLE:
            grouped: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
            for row in table.to_pylist():
                grouped[row.pop("patient_id")].append(row)
            rows[name] = grouped
    return [_record(p, {name: grouped.get(p["patient_id"], []) for name, grouped in rows.items()})
            for p in tables[PATIENT_TABLE].to_pylist()]


def _record(p: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> rec.PatientRecord:
    period = ((p["obs_start"], p["obs_end"])
              if p["obs_start"] is not None and p["obs_end"] is not None else None)
    return rec.PatientRecord(
        patient_id=str(p["patient_id"]), sex=p["sex"], birth_date=p["birth_date"],
        consent_date=p["consent_date"], index_date=p["index_date"], observation_period=period,
        attestations={r["key"]: r["value"] for r in rows[ATTESTATIONS]},
        tables={name: tuple(found) for name, found in rows.items()
                if name != ATTESTATIONS and found},
    )
