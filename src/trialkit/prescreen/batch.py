"""Run compiled criteria over logical tables and collect per-patient statuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from ibis.backends import BaseBackend

from trialkit.core.eligibility.record import PatientRecord
from trialkit.prescreen.backends import connect
from trialkit.prescreen.criteria import catalogue_of, criteria_of
from trialkit.prescreen.engine import compile_cohort
from trialkit.prescreen.logical import LogicalTables, RecordSpec, from_records


def screen_tables(compiled: Any, tables: LogicalTables, con: BaseBackend) -> pa.Table:
    """Statuses and verdict for every patient of ``tables``, as an Arrow table."""
    query = compile_cohort(criteria_of(compiled), tables, catalogue_of(compiled))
    result: pa.Table = con.to_pyarrow(query)
    return result


def evaluate_records(compiled: Any, records: Sequence[PatientRecord], *,
                     as_of: dt.date | None, backend: str = "duckdb"
                     ) -> dict[str, dict[str, str]]:
    """patient_id → criterion id → status, plus ``"verdict"``: the batch engine on the same
    records the in-memory engine screens (``backend`` "duckdb", "spark" or "postgres")."""
    undated = [r.patient_id for r in records if r.index_date is None and as_of is None]
    if undated:
        raise ValueError(f"index_date: missing for {', '.join(undated[:5])} and no as_of given")
    if not records:
        return {}
    schema = RecordSpec.of(compiled).schema
    con = connect(backend)
    try:
        table = screen_tables(compiled, from_records(records, as_of=as_of, schema=schema), con)
    finally:
        if con.name != "pyspark":  # the Spark session is shared by the process
            con.disconnect()
    rows = table.to_pylist()
    return {str(row.pop("patient_id")): {k: str(v) for k, v in row.items()} for row in rows}
