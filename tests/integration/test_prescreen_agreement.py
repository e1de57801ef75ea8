"""All 19 criteria of the reference protocol: the batch engines agree with the in-memory
reference engine on every patient of a synthetic cohort."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tests.conftest import REFERENCE_PROTOCOL
from trialkit.core.eligibility.compile import CompiledCriteria, compile_criteria, screen
from trialkit.core.eligibility.record import PatientRecord
from trialkit.core.protocol import load_protocol
from trialkit.prescreen import evaluate_records
from trialkit.prescreen.backends import spark_unavailable_reason
from trialkit.prescreen.logical import RecordSpec
from trialkit.prescreen.omop import omop_to_logical, read_omop
from trialkit.prescreen.records import fetch, to_records
from trialkit.prescreen.synth import write_cohort

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def compiled() -> CompiledCriteria:
    return compile_criteria(load_protocol(REFERENCE_PROTOCOL))


@pytest.fixture(scope="module")
def records(compiled: CompiledCriteria,
            tmp_path_factory: pytest.TempPathFactory) -> list[PatientRecord]:
    folder = tmp_path_factory.mktemp("cohort")
    write_cohort(folder, patients=2000, rng=np.random.default_rng(19), chunk_size=1000,
                 protocol=load_protocol(REFERENCE_PROTOCOL))
    con, tables = read_omop(folder)
    spec = RecordSpec.of(compiled)
    return to_records(fetch(omop_to_logical(tables, as_of=AS_OF, spec=spec), con))


def _reference(compiled: CompiledCriteria, records: list[PatientRecord]
               ) -> dict[str, dict[str, str]]:
    out = {}
    for record in records:
        result = screen(compiled, record, as_of=AS_OF)
        out[record.patient_id] = {**result.statuses(), "verdict": result.verdict}
    return out


def test_every_criterion_has_a_rule(compiled: CompiledCriteria) -> None:
    assert len(compiled.criteria) == 19
    assert all(c.node is not None for c in compiled.criteria)


def test_duckdb_and_in_memory_agree_on_every_patient_and_criterion(
        compiled: CompiledCriteria, records: list[PatientRecord]) -> None:
    batch = evaluate_records(compiled, records, as_of=AS_OF, backend="duckdb")
    reference = _reference(compiled, records)
    disagreements = [(pid, key, batch[pid][key], value)
                     for pid, statuses in reference.items() for key, value in statuses.items()
                     if batch[pid][key] != value]
    assert disagreements == []


def test_the_cohort_exercises_every_verdict_and_most_statuses(
        compiled: CompiledCriteria, records: list[PatientRecord]) -> None:
    batch = evaluate_records(compiled, records, as_of=AS_OF)
    verdicts = {s["verdict"] for s in batch.values()}
    assert verdicts == {"eligible", "incomplete", "ineligible"}
    for criterion in compiled.criteria:
        seen = {s[criterion.id] for s in batch.values()}
        assert len(seen) >= 2, criterion.id


@pytest.mark.spark
@pytest.mark.slow
def test_spark_agrees_with_in_memory_on_a_sample(compiled: CompiledCriteria,
                                                 records: list[PatientRecord]) -> None:
    reason = spark_unavailable_reason()
    if reason is not None:
        pytest.skip(f"Spark engine unavailable: {reason}")
    sample = records[:300]
    assert evaluate_records(compiled, sample, as_of=AS_OF, backend="spark") == _reference(
        compiled, sample)


PROTOCOLS = sorted(REFERENCE_PROTOCOL.parent.glob("*.yaml"))


@pytest.mark.parametrize("path", PROTOCOLS, ids=[p.stem for p in PROTOCOLS])
def test_duckdb_and_in_memory_agree_on_every_protocol(
        path, tmp_path: pytest.TempPathFactory) -> None:
    """The engines know no trial: each protocol's own tables, synthesised from its
    declarations, screen the same on both."""
    protocol = load_protocol(path)
    compiled = compile_criteria(protocol)
    write_cohort(tmp_path, patients=500, rng=np.random.default_rng(7), chunk_size=500,
                 protocol=protocol)
    con, tables = read_omop(tmp_path)
    spec = RecordSpec.of(compiled)
    records = to_records(fetch(omop_to_logical(tables, as_of=AS_OF, spec=spec), con))
    assert evaluate_records(compiled, records, as_of=AS_OF) == _reference(compiled, records)
