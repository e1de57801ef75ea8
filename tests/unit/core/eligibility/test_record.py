"""Parsing patient records: valid ones become typed values; malformed ones name the field."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import REFERENCE_PROTOCOL
from tests.unit.core.eligibility.reference_patient import eligible
from trialkit.core.eligibility.record import RecordError, parse_record, parse_record_for
from trialkit.core.protocol import load_protocol
from trialkit.core.protocol.labs import packaged_catalogue
from trialkit.core.protocol.record import RecordSection, base_schema

PROTOCOL = load_protocol(REFERENCE_PROTOCOL)


def parse(data: object):
    return parse_record_for(data, PROTOCOL)


def problems(data: object) -> list[tuple[str, str]]:
    with pytest.raises(RecordError) as info:
        parse(data)
    return info.value.problems


def test_the_documented_example_record_parses_into_typed_rows():
    record = parse(eligible())
    assert record.birth_date == dt.date(1984, 5, 12)
    assert record.rows("medications")[0]["end_date"] is None
    lab = record.rows("labs")[-1]
    assert lab["value_text"] == "negative" and lab["value"] is None
    assert record.rows("edss") == ({"date": dt.date(2026, 11, 5), "score": 3.5},)
    assert record.attestations["willing_to_consent"] is True


def test_every_row_carries_every_column_of_its_table():
    scan = parse(eligible(mri_scans=[{"date": "2026-05-10"}])).rows("mri_scans")[0]
    assert scan == {"date": dt.date(2026, 5, 10), "gd_enhancing_lesions": None,
                    "new_t2_lesions": None}


def test_a_protocol_table_is_unknown_to_the_base_record():
    with pytest.raises(RecordError) as info:
        parse_record(eligible(), base_schema(), packaged_catalogue())
    assert ("relapses", "unknown field (expected one of: patient_id, sex, birth_date, "
            "consent_date, index_date, observation_period, attestations, diagnoses, "
            "medications, labs)") in info.value.problems


def test_a_declared_tables_bounds_are_checked():
    section = RecordSection.model_validate({"tables": [{
        "id": "nihss", "description": "NIHSS", "noun": "NIHSS score", "date": "date",
        "default": "score", "columns": [
            {"id": "date", "type": "date", "required": True, "description": "d"},
            {"id": "score", "type": "number", "minimum": 0, "maximum": 42,
             "description": "s"}]}]})
    schema = base_schema().extended(section)
    with pytest.raises(RecordError) as info:
        parse_record({"patient_id": "S1", "nihss": [{"date": "2026-11-01", "score": 43}]},
                     schema, packaged_catalogue())
    assert info.value.problems == [("nihss[0].score", "43 is above the maximum 42")]


@pytest.mark.parametrize(("change", "path", "fragment"), [
    ({"birth_date": "12/05/1984"}, "birth_date", "YYYY-MM-DD"),
    ({"birth_date": "1984-02-30"}, "birth_date", "YYYY-MM-DD"),
    ({"sex": "F"}, "sex", "not one of: female, male"),
    ({"diagnoses": [{"code": "MEDDRA:10028245", "date": "2016-03-01"}]}, "diagnoses[0].code",
     "not a diagnosis code (SNOMED:<id> or ICD10:<code>)"),
    ({"labs": [{"date": "2026-11-05", "test": "LOINC:1558-6", "value": 6.1, "unit": "mg/dl"}]},
     "labs[0].unit", "unknown unit 'mg/dl'"),
    ({"labs": [{"date": "2026-11-05", "test": "LOINC:5902-2", "value": 12.1, "unit": "U/L"}]},
     "labs[0].unit", "not a unit of LOINC:5902-2"),
    ({"labs": [{"date": "2026-11-05", "test": "LOINC:5902-2", "value": 12.1}]},
     "labs[0].unit", "required"),
    ({"labs": [{"date": "2026-11-05", "test": "LOINC:5902-2", "value": "12.1", "unit": "s"}]},
     "labs[0].value", "neither a number"),
    ({"labs": [{"date": "2026-11-05", "test": "5902-2", "value": 12.1, "unit": "s"}]},
     "labs[0].test", "not a lab code (LOINC:<code>)"),
    ({"labs": [{"date": "2026-11-05", "test": "LOINC:2106-3", "value_text": "Positive"}]},
     "labs[0].value_text", "neither positive nor negative"),
    ({"labs": [{"date": "2026-11-05", "test": "LOINC:5902-2", "value": "positive"}]},
     "labs[0].value", "reported as a number"),
    ({"labs": [{"date": "2026-11-05", "test": "LOINC:5902-2", "value": 1, "unit": "s",
                "units": "s"}]}, "labs[0].units", "unknown field"),
    ({"edss": [{"date": "2026-11-05", "score": 0.5}]}, "edss[0].score",
     "not an allowed value of edss.score"),
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
    record = parse(eligible(
        medications=[{"ingredient": "Fingolimod", "start_date": "2021-02-01"}],
        labs=[{"date": "2026-11-05", "test": "LOINC:1920-8", "value": 1, "unit": "ukat/L"}]))
    assert record.rows("medications")[0]["ingredient"] == "fingolimod"
    assert record.rows("labs")[0]["unit"] == "µkat/L"
