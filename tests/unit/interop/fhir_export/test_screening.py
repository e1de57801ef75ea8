"""Screening data out as FHIR and back: forms → record → Bundle → trialkit's FHIR reader gives
the same record (all of it but the dates of screening) and the screening engine the same
verdict."""

from __future__ import annotations

import dataclasses
import json

import pytest

from trialkit.core.eligibility.compile import screen
from trialkit.core.eligibility.form_record import screening_record
from trialkit.interop import fhir
from trialkit.interop.exports import EXPORTS
from trialkit.interop.fhir_export import bundle_problems, record_bundle
from trialkit.interop.fhir_export.screening import carried, screening_records

from .conftest import AS_OF, SCREENED_ON

pytestmark = pytest.mark.protocols()

def _read_back(bundle, protocol):
    return fhir.record_from_bundle(json.loads(json.dumps(bundle)), protocol)


def _record(trial):
    return screening_record(trial.protocol, "S01-009", trial.screening_forms(SCREENED_ON),
                            AS_OF)


def test_the_bundle_of_a_screening_record_passes_fhir_resources(trial):
    assert bundle_problems(record_bundle(trial.protocol, _record(trial))) == []


def test_the_fhir_reader_reads_the_bundle_back_into_the_record_it_carries(trial):
    record = _record(trial)
    back = _read_back(record_bundle(trial.protocol, record), trial.protocol)
    assert back == carried(trial.protocol, record)
    assert back.tables and back.attestations and back.sex == record.sex


def test_a_bundle_carries_the_whole_record_but_its_dates_of_screening(trial):
    record = _record(trial)
    without_dates = dataclasses.replace(record, index_date=None, observation_period=None)
    assert carried(trial.protocol, record) == without_dates
    back = _read_back(record_bundle(trial.protocol, record), trial.protocol)
    assert back == without_dates


def test_a_diagnosis_coded_like_a_tables_condition_rows_stays_a_diagnosis(trial):
    """The stroke diagnosis shares its code with the stroke table's Condition rows: the Bundle
    holds both, the diagnosis told apart by its encounter-diagnosis category."""
    record = _record(trial)
    bundle = record_bundle(trial.protocol, record)
    marked = [e["resource"] for e in bundle["entry"]
              if e["resource"]["resourceType"] == "Condition" and "category" in e["resource"]]
    back = _read_back(bundle, trial.protocol)
    assert back.rows("diagnoses") == record.rows("diagnoses")
    assert len(marked) == (1 if trial.stem == "nct01716481" else 0)


def test_the_engine_gives_the_read_back_record_the_verdict_of_the_forms(trial):
    record = _record(trial)
    back = dataclasses.replace(_read_back(record_bundle(trial.protocol, record), trial.protocol),
                               index_date=record.index_date,
                               observation_period=record.observation_period)
    expected = screen(trial.protocol, record)
    result = screen(trial.protocol, back)
    assert result.verdict == expected.verdict
    assert result.statuses() == expected.statuses()


def test_the_patient_is_named_by_screening_number_only(trial):
    bundle = record_bundle(trial.protocol, _record(trial))
    patient = bundle["entry"][0]["resource"]
    assert patient["resourceType"] == "Patient" and patient["id"] == "S01-009"
    assert "name" not in patient and "telecom" not in patient and "address" not in patient


def test_the_export_writes_a_valid_bundle_per_participant_named_by_screening_number(
        trial, blinded_rows, tmp_path):
    export = EXPORTS["fhir-screening"]
    written = export.write(trial.protocol, blinded_rows, tmp_path / "screening")
    assert sorted(p.name for p in written) == ["S01-001.json", "S01-002.json", "S01-003.json"]
    assert list(export.validate(tmp_path / "screening")) == []
    records = screening_records(trial.protocol, blinded_rows)
    for path in written:
        back = _read_back(json.loads(path.read_text(encoding="utf-8")), trial.protocol)
        assert back == carried(trial.protocol, records[path.stem])


def test_the_folder_validator_names_the_file_with_a_broken_resource(trial, blinded_rows,
                                                                   tmp_path):
    export = EXPORTS["fhir-screening"]
    export.write(trial.protocol, blinded_rows, tmp_path)
    damaged = tmp_path / "S01-002.json"
    bundle = json.loads(damaged.read_text(encoding="utf-8"))
    observation = next(e["resource"] for e in bundle["entry"]
                       if e["resource"]["resourceType"] == "Observation")
    del observation["code"]
    damaged.write_text(json.dumps(bundle), encoding="utf-8")
    problems = list(export.validate(tmp_path))
    assert problems and all(p.startswith("S01-002.json: ") for p in problems)


def test_the_data_exports_refuse_to_run_without_rows(trial, tmp_path):
    for name in ("fhir-subjects", "fhir-screening"):
        with pytest.raises(ValueError, match="rows"):
            EXPORTS[name].write(trial.protocol, None, tmp_path / name)
