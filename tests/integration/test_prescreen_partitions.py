"""A pre-screen run range by range of patients gives exactly the one-range result."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.conftest import REFERENCE_PROTOCOL
from trialkit.core.eligibility.compile import CompiledCriteria, compile_criteria
from trialkit.core.protocol import load_protocol
from trialkit.prescreen.partition import partition_bounds
from trialkit.prescreen.run import run_prescreen
from trialkit.prescreen.synth import write_cohort

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def compiled() -> CompiledCriteria:
    return compile_criteria(load_protocol(REFERENCE_PROTOCOL))


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("partitions") / "cohort"
    write_cohort(out, patients=1200, rng=np.random.default_rng(11), chunk_size=400,
                 protocol=load_protocol(REFERENCE_PROTOCOL))
    return out


def test_ranges_cover_every_patient_once_in_key_order() -> None:
    con = ibis.duckdb.connect()
    people = ibis.memtable({"person_id": [7, 3, 11, 5, 9, 1, 13]})
    assert partition_bounds(con, people, "person_id", 3) == [(1, 7), (7, 13), (13, None)]
    assert partition_bounds(con, people, "person_id", 100) == [(1, None)]


def test_a_partition_size_below_one_is_refused(compiled: CompiledCriteria,
                                               cohort: Path) -> None:
    with pytest.raises(ValueError, match="partition_size"):
        run_prescreen(compiled, cohort, as_of=AS_OF, partition_size=0)


def test_partitioned_and_whole_runs_give_the_same_ranked_statuses_and_funnel(
        compiled: CompiledCriteria, cohort: Path, tmp_path: Path) -> None:
    whole, parted = tmp_path / "whole.parquet", tmp_path / "parted.parquet"
    one = run_prescreen(compiled, cohort, as_of=AS_OF, out=whole, partition_size=10_000)
    many = run_prescreen(compiled, cohort, as_of=AS_OF, out=parted, partition_size=170)
    assert (one.partitions, many.partitions) == (1, 8)
    assert pq.read_table(parted).to_pylist() == pq.read_table(whole).to_pylist()
    assert many.funnel == one.funnel
    assert many.funnel.patients == 1200
    assert many.top.to_pylist() == one.top.to_pylist()


def test_the_in_memory_engine_partitioned_agrees_with_duckdb(
        compiled: CompiledCriteria, cohort: Path, tmp_path: Path) -> None:
    batch, memory = tmp_path / "batch.parquet", tmp_path / "memory.parquet"
    duck = run_prescreen(compiled, cohort, as_of=AS_OF, out=batch, partition_size=500)
    ref = run_prescreen(compiled, cohort, as_of=AS_OF, out=memory, engine="memory",
                        partition_size=300)
    assert pq.read_table(memory).to_pylist() == pq.read_table(batch).to_pylist()
    assert ref.funnel == duck.funnel
