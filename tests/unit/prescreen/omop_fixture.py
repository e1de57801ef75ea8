"""Load the hand-built OMOP CSV extract (tests/fixtures/omop/tiny) as Parquet or DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "omop" / "tiny"
# CSV cannot say the type of a column that is empty in every row.
TYPES = {
    "month_of_birth": pa.int32(), "day_of_birth": pa.int32(), "birth_datetime": pa.timestamp("s"),
    "condition_end_date": pa.date32(), "drug_exposure_end_date": pa.date32(),
    "value_as_number": pa.float64(), "value_as_concept_id": pa.int32(),
    "unit_concept_id": pa.int32(), "range_low": pa.float64(), "range_high": pa.float64(),
    "invalid_reason": pa.string(), "standard_concept": pa.string(),
    "concept_code": pa.string(),
}


def tables() -> dict[str, pa.Table]:
    options = pacsv.ConvertOptions(column_types=TYPES, strings_can_be_null=False)
    return {path.stem: pacsv.read_csv(path, convert_options=options)
            for path in sorted(TINY.glob("*.csv"))}


def as_parquet(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables().items():
        pq.write_table(table, folder / f"{name}.parquet")
    return folder


def as_duckdb(path: Path) -> Path:
    con = duckdb.connect(str(path))
    for name, table in tables().items():
        con.register("incoming", table)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
        con.unregister("incoming")
    con.close()
    return path
