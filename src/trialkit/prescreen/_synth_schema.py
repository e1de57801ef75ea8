"""The OMOP CDM v5.4 columns the synthetic extract writes, and the chunked Parquet writer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from trialkit.prescreen.omop_concepts import Concept

I64, I32, F64, STR, DATE = pa.int64(), pa.int32(), pa.float64(), pa.string(), pa.date32()

SCHEMAS: dict[str, pa.Schema] = {
    "person": pa.schema([
        ("person_id", I64), ("gender_concept_id", I32), ("year_of_birth", I32),
        ("month_of_birth", I32), ("day_of_birth", I32), ("birth_datetime", pa.timestamp("s")),
        ("race_concept_id", I32), ("ethnicity_concept_id", I32), ("person_source_value", STR)]),
    "observation_period": pa.schema([
        ("observation_period_id", I64), ("person_id", I64),
        ("observation_period_start_date", DATE), ("observation_period_end_date", DATE),
        ("period_type_concept_id", I32)]),
    "condition_occurrence": pa.schema([
        ("condition_occurrence_id", I64), ("person_id", I64), ("condition_concept_id", I32),
        ("condition_start_date", DATE), ("condition_end_date", DATE),
        ("condition_type_concept_id", I32), ("condition_source_concept_id", I32)]),
    "drug_exposure": pa.schema([
        ("drug_exposure_id", I64), ("person_id", I64), ("drug_concept_id", I32),
        ("drug_exposure_start_date", DATE), ("drug_exposure_end_date", DATE),
        ("drug_type_concept_id", I32), ("route_concept_id", I32)]),
    "measurement": pa.schema([
        ("measurement_id", I64), ("person_id", I64), ("measurement_concept_id", I32),
        ("measurement_date", DATE), ("measurement_type_concept_id", I32),
        ("value_as_number", F64), ("value_as_concept_id", I32), ("unit_concept_id", I32),
        ("range_low", F64), ("range_high", F64)]),
    "observation": pa.schema([
        ("observation_id", I64), ("person_id", I64), ("observation_concept_id", I32),
        ("observation_date", DATE), ("observation_type_concept_id", I32),
        ("value_as_concept_id", I32)]),
    "procedure_occurrence": pa.schema([
        ("procedure_occurrence_id", I64), ("person_id", I64), ("procedure_concept_id", I32),
        ("procedure_date", DATE), ("procedure_type_concept_id", I32)]),
}
CONCEPT_SCHEMA = pa.schema([
    ("concept_id", I32), ("concept_name", STR), ("domain_id", STR), ("vocabulary_id", STR),
    ("concept_class_id", STR), ("standard_concept", STR), ("concept_code", STR),
    ("valid_start_date", DATE), ("valid_end_date", DATE), ("invalid_reason", STR)])
EHR_TYPE = 32817  # OMOP type concept "EHR"

Columns = dict[str, np.ndarray]


def to_arrow(columns: Columns, field: pa.Field) -> pa.Array:
    """Nullable columns arrive as float64 with NaN for null (numpy has no integer null)."""
    if field.name not in columns:  # a column this source never fills, e.g. range_low
        return pa.nulls(len(columns["person_id"]), type=field.type)
    values = columns[field.name]
    if field.type == STR:
        return pa.array(values, type=field.type)
    array = pa.array(values, from_pandas=True)
    if pa.types.is_date32(field.type):
        array = array.cast(I32)
    elif pa.types.is_timestamp(field.type):
        array = array.cast(I64)
    return array.cast(field.type)


class ChunkWriter:
    """One Parquet file per table; each call to :meth:`write` adds one row group."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.rows: Counter[str] = Counter()
        self._writers = {name: pq.ParquetWriter(out / f"{name}.parquet", schema)
                         for name, schema in SCHEMAS.items()}

    def write(self, tables: dict[str, Columns]) -> None:
        for name, columns in tables.items():
            schema = SCHEMAS[name]
            n = len(columns["person_id"])
            columns[schema.names[0]] = np.arange(self.rows[name] + 1, self.rows[name] + n + 1)
            arrays = [to_arrow(columns, field) for field in schema]
            self._writers[name].write_table(pa.Table.from_arrays(arrays, schema=schema))
            self.rows[name] += n

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()

    def write_concepts(self, concepts: Iterable[Concept]) -> None:
        rows = list(concepts)
        table = pa.table({
            "concept_id": [c.concept_id for c in rows],
            "concept_name": [c.concept_name for c in rows],
            "domain_id": [c.domain_id for c in rows],
            "vocabulary_id": [c.vocabulary_id for c in rows],
            "concept_class_id": [c.concept_class_id for c in rows],
            "standard_concept": ["S" if c.vocabulary_id != "ICD10" else None for c in rows],
            "concept_code": [c.concept_code for c in rows],
            "valid_start_date": [date(1970, 1, 1)] * len(rows),
            "valid_end_date": [date(2099, 12, 31)] * len(rows),
            "invalid_reason": [None] * len(rows),
        }, schema=CONCEPT_SCHEMA)
        pq.write_table(table, self.out / "concept.parquet")
        self.rows["concept"] = len(rows)
