"""Parsing patient records: valid ones become typed values; malformed ones name the field."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.core.eligibility.reference_patient import eligible
from trialkit.core.eligibility.record import RecordError, parse_record


def problems(data: object) -> list[tuple[str, str]]:
    with pytest.raises(RecordError) as info:
        parse_record(data)
    return info.value.problems


def test_the_documented_example_record_parses_into_typed_rows():
    record = parse_record(eligible())
    assert record.birth_date == dt.date(1984, 5, 12)
    assert record.medications[0].end_date is None
    assert record.labs[-1].value_text == "negative" and record.labs[-1].value is None
    assert record.attestations["willing_to_consent"] is True


@pytest.mark.parametrize(("change", "path", "fragment"), [
    ({"birth_date": "12/05/1984"}, "birth_date", "YYYY-MM-DD"),
    ({"birth_date": "1984-02-30"}, "birth_date", "YYYY-MM-DD"),
    ({"sex": "F"}, "sex", "not one of: female, male"),
    ({"diagnoses": [{"code": "MEDDRA:10028245", "date": "2016-03-01"}]}, "diagnoses[0].code",
     "not SNOMED:<id> or ICD10:<code>"),
    ({"labs": [{"date": "2026-11-05", "test": "LOINC:1558-6", "value": 6.1, "unit": "mg/dl"}]},
     "labs[0].unit", "unknown unit 'mg/dl'"),
    ({"labs": [{"date": "2026-11-05", "test": "LOINC:5902-2", "value": 12.1, "unit": "U/L"}]},
     "labs[0].unit", "not a unit of LOINC:5902-2"),
    ({"labs": [{"date": "2026-11-05", "test": "LOINC:5902-2", "value": 12.1}]},
     "labs[0].unit", "required"),
    ({"labs": [{"date": "2026-11-05", "test": "LOINC:5902-2", "value": "12.1", "unit": "s"}]},
     "labs[0].value", "neither a number"),
    ({"labs": [{"date": "2026-11-05", "test": "5902-2", "value": 12.1, "unit": "s"}]},
     "labs[0].test", "not LOINC:<code>"),
    ({"edss": [{"date": "2026-11-05", "score": 0.5}]}, "edss[0].score", "not an EDSS score"),
    ({"mri_scans": [{"date": "2026-05-10", "gd_enhancing_lesions": "1"}]},
     "mri_scans[0].gd_enhancing_lesions", "expected a count"),
    ({"mri_scans": [{"date": "2026-05-10", "gd_enhancing_lesions": True}]},
     "mri_scans[0].gd_enhancing_lesions", "expected a count"),
    ({"medications": [{"ingredient": "fingolimod", "start_date": "2021-02-01",
                       "end_date": "2020-01-01"}]}, "medications[0].end_date", "before"),
    ({"relapse": [{"onset_date": "2026-04-02"}]}, "relapse", "unknown field"),
    ({"attestations": {"pregnant": "no"}}, "attestations.pregnant", "true, false or null"),
    ({"observation_period": {"start": "2026-01-01"}}, "observation_period.end", "required"),
    ({"relapses": {"onset_date": "2026-04-02"}}, "relapses", "expected a list"),
])
def test_a_malformed_field_is_rejected_with_its_path(change, path, fragment):
    found = problems(eligible(**change))
    assert any(p == path and fragment in message for p, message in found), found


def test_every_problem_is_reported_not_only_the_first():
    found = problems(eligible(sex="x", birth_date="soon"))
    assert {path for path, _ in found} == {"sex", "birth_date"}


def test_a_record_must_be_an_object_with_a_patient_id():
    assert problems([1, 2])[0][1].startswith("expected an object")
    assert ("patient_id", "required field is missing") in problems({"sex": "male"})


def test_ingredients_are_lower_cased_and_units_canonical():
    record = parse_record(eligible(
        medications=[{"ingredient": "Fingolimod", "start_date": "2021-02-01"}],
        labs=[{"date": "2026-11-05", "test": "LOINC:1920-8", "value": 1, "unit": "ukat/L"}]))
    assert record.medications[0].ingredient == "fingolimod"
    assert record.labs[0].unit == "µkat/L"
