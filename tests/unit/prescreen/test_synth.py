"""The synthetic OMOP cohort: deterministic, well-formed, and chunked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pytest

from tests.conftest import REFERENCE_PROTOCOL
from trialkit.core.eligibility.compile import compile_criteria
from trialkit.core.protocol import load_protocol
from trialkit.prescreen.synth import write_cohort

PROTOCOL = load_protocol(REFERENCE_PROTOCOL)


def one(sql: str) -> tuple[object, ...]:
    """The single row a query returns."""
    rows = duckdb.execute(sql).fetchall()
    assert len(rows) == 1
    return tuple(rows[0])


TABLES = ("person", "observation_period", "condition_occurrence", "drug_exposure",
          "measurement", "observation", "procedure_occurrence", "concept")


def _write(folder: Path, seed: int, patients: int = 600, chunk: int = 250) -> Path:
    write_cohort(folder, patients=patients, rng=np.random.default_rng(seed), chunk_size=chunk,
                 protocol=PROTOCOL)
    return folder


def test_the_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    first, second = _write(tmp_path / "a", 11), _write(tmp_path / "b", 11)
    for name in TABLES:
        assert (first / f"{name}.parquet").read_bytes() == (second / f"{name}.parquet").read_bytes()


def test_another_seed_writes_another_population(tmp_path: Path) -> None:
    first, second = _write(tmp_path / "a", 11), _write(tmp_path / "b", 12)
    assert (first / "measurement.parquet").read_bytes() != (
        second / "measurement.parquet").read_bytes()


def test_every_table_is_written_with_one_row_group_per_chunk(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    folder = _write(tmp_path / "c", 3, patients=600, chunk=250)
    for name in TABLES:
        assert (folder / f"{name}.parquet").is_file()
    assert pq.ParquetFile(folder / "person.parquet").num_row_groups == 3
    people = one(f"SELECT count(*), count(DISTINCT person_id), min(person_id), "
                 f"max(person_id) FROM '{folder}/person.parquet'")
    assert people == (600, 600, 1, 600)


def test_event_ids_are_unique_and_every_event_lies_in_its_observation_period(
        tmp_path: Path) -> None:
    folder = _write(tmp_path / "d", 5)
    unique = one(f"SELECT count(*) = count(DISTINCT measurement_id) "
                 f"FROM '{folder}/measurement.parquet'")
    assert unique == (True,)
    outside = one(f"""
        SELECT count(*) FROM '{folder}/measurement.parquet' m
        JOIN '{folder}/observation_period.parquet' o USING (person_id)
        WHERE m.measurement_date < o.observation_period_start_date
           OR m.measurement_date > o.observation_period_end_date""")
    assert outside == (0,)


def test_every_concept_used_is_in_the_extracts_concept_table(tmp_path: Path) -> None:
    folder = _write(tmp_path / "e", 9)
    for table, column in (("condition_occurrence", "condition_concept_id"),
                          ("drug_exposure", "drug_concept_id"),
                          ("measurement", "measurement_concept_id"),
                          ("measurement", "unit_concept_id"),
                          ("observation", "observation_concept_id"),
                          ("person", "gender_concept_id")):
        missing = one(f"""
            SELECT count(*) FROM '{folder}/{table}.parquet' t
            WHERE t.{column} IS NOT NULL AND t.{column} <> 0 AND t.{column} NOT IN
                  (SELECT concept_id FROM '{folder}/concept.parquet')""")
        assert missing == (0,), f"{table}.{column}"


def test_the_population_has_the_mix_a_prescreen_needs(tmp_path: Path) -> None:
    folder = _write(tmp_path / "f", 21, patients=2000, chunk=1000)
    courses = dict(duckdb.execute(f"""
        SELECT c.concept_code, count(*) FROM '{folder}/condition_occurrence.parquet' co
        JOIN '{folder}/concept.parquet' c ON c.concept_id = co.condition_concept_id
        WHERE c.concept_code IN ('426373005', '425500002', '428700003')
        GROUP BY 1""").fetchall())
    assert courses["426373005"] > courses["425500002"] > courses["428700003"] > 0
    (early_end,) = one(f"""SELECT count(*) FROM '{folder}/observation_period.parquet'
        WHERE observation_period_end_date < DATE '2026-11-20'""")
    assert isinstance(early_end, int) and 100 < early_end < 600
    units = {row[0] for row in duckdb.execute(f"""
        SELECT DISTINCT c.concept_code FROM '{folder}/measurement.parquet' m
        JOIN '{folder}/concept.parquet' c ON c.concept_id = m.unit_concept_id""").fetchall()}
    assert {"mg/dL", "mmol/L", "s", "U/L"} <= units


def test_a_reference_date_moves_the_whole_history(tmp_path: Path) -> None:
    folder = tmp_path / "g"
    write_cohort(folder, patients=100, rng=np.random.default_rng(1), protocol=PROTOCOL,
                 reference_date=dt.date(2020, 1, 1))
    latest = one(f"SELECT max(observation_period_end_date) "
                 f"FROM '{folder}/observation_period.parquet'")
    assert latest == (dt.date(2020, 1, 1),)


def test_a_cohort_of_no_patients_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="patients"):
        write_cohort(tmp_path, patients=0, rng=np.random.default_rng(1), protocol=PROTOCOL)


def test_the_protocols_declared_concepts_are_written_and_named_nowhere_else(
        tmp_path: Path) -> None:
    """Every local concept comes from the protocol: its tables' OMOP sources and the
    attestation keys its criteria read."""
    folder = _write(tmp_path / "h", 4, patients=200, chunk=200)
    local = {row[0] for row in duckdb.execute(
        f"SELECT concept_code FROM '{folder}/concept.parquet' "
        "WHERE vocabulary_id = 'TRIALKIT' AND concept_class_id <> 'Ingredient'").fetchall()}
    declared = {source.code for table in PROTOCOL.record.tables if table.omop
                for source in (*table.omop.rows_from, *table.omop.columns.values())}
    keys = set(compile_criteria(PROTOCOL).attestation_keys())
    assert keys and declared
    assert local == declared | keys
