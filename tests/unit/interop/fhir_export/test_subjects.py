"""ResearchSubjects: status and period for everyone, the arm only for a reader who may see it."""

from __future__ import annotations

import json

import pytest

from tests.protocol_cases import allocation_secrets, named_in, public_texts
from trialkit.interop.fhir_export import bundle_problems, subjects_bundle
from trialkit.interop.fhir_export.subjects import arm_name

pytestmark = pytest.mark.protocols()


def _subjects(bundle):
    return {s["identifier"][0]["value"]: s for s in
            (e["resource"] for e in bundle["entry"])
            if s["resourceType"] == "ResearchSubject"}


def test_the_subjects_bundle_passes_fhir_resources(trial, unblinded_rows, blinded_rows):
    assert bundle_problems(subjects_bundle(trial.protocol, unblinded_rows)) == []
    assert bundle_problems(subjects_bundle(trial.protocol, blinded_rows)) == []


def test_participant_statuses_become_research_subject_statuses(trial, blinded_rows):
    subjects = _subjects(subjects_bundle(trial.protocol, blinded_rows))
    assert {n: s["status"] for n, s in subjects.items()} == {
        "S01-001": "on-study", "S01-002": "ineligible", "S01-003": "eligible"}
    assert subjects["S01-001"]["period"] == {"start": "2026-03-20"}
    assert subjects["S01-002"]["period"] == {"start": "2026-03-02", "end": "2026-03-10"}


def test_patients_are_pseudonymous_screening_numbers(trial, blinded_rows):
    bundle = subjects_bundle(trial.protocol, blinded_rows)
    patients = {e["fullUrl"]: e["resource"] for e in bundle["entry"]
                if e["resource"]["resourceType"] == "Patient"}
    assert len(patients) == 3
    for patient in patients.values():
        assert set(patient) == {"resourceType", "id", "identifier"}
    for subject in _subjects(bundle).values():
        patient = patients[subject["individual"]["reference"]]
        assert patient["identifier"] == subject["identifier"]


def test_an_unblinded_reader_sees_the_assigned_arm_and_the_actual_arm_once_treated(
        trial, unblinded_rows):
    subjects = _subjects(subjects_bundle(trial.protocol, unblinded_rows))
    allocation = unblinded_rows.trial.allocations[1]
    participant = unblinded_rows.trial.participants[0]
    expected = arm_name(trial.protocol, participant, allocation)
    assert expected
    assert subjects["S01-001"]["assignedArm"] == subjects["S01-001"]["actualArm"] == expected
    assert subjects["S01-003"]["assignedArm"] == expected
    assert "actualArm" not in subjects["S01-003"]  # allocated, nothing given yet
    assert "assignedArm" not in subjects["S01-002"]  # never allocated


def test_blinded_rows_give_no_arm_and_name_no_allocation_in_any_subject(trial, blinded_rows):
    bundle = subjects_bundle(trial.protocol, blinded_rows)
    secrets = allocation_secrets(trial.protocol)
    for subject in _subjects(bundle).values():
        assert "assignedArm" not in subject and "actualArm" not in subject
        assert named_in(json.dumps(subject), secrets) == set()


def test_the_blinded_bundle_names_no_arm_anywhere_beyond_the_public_texts(trial, blinded_rows):
    text = json.dumps(subjects_bundle(trial.protocol, blinded_rows), ensure_ascii=False).lower()
    for public in public_texts(trial.protocol):
        text = text.replace(public, " ")
    assert named_in(text, {s.lower() for s in allocation_secrets(trial.protocol)}) == set()
    assert '"arm"' not in text


def test_the_blinded_bundle_is_the_unblinded_one_without_the_arms(
        trial, blinded_rows, unblinded_rows):
    blinded = subjects_bundle(trial.protocol, blinded_rows)
    unblinded = subjects_bundle(trial.protocol, unblinded_rows)
    arms = unblinded["entry"][0]["resource"].pop("arm")
    assert {a["name"] for a in arms} >= {a.label for a in trial.protocol.design.arms}
    for entry in unblinded["entry"]:
        entry["resource"].pop("assignedArm", None)
        entry["resource"].pop("actualArm", None)
    assert blinded == unblinded
