"""The registry's OpenAPI schema, converted to JSON Schema, accepts real records and rejects
broken ones, so the export's validation test can fail."""

from __future__ import annotations

import copy

import pytest
from jsonschema import Draft202012Validator

from tests.unit.interop.ctgov.conftest import CTGOV, JSON_RECORDS, load_json
from trialkit.interop.ctgov.schema import SPEC_PATH, json_schema_from_openapi, study_errors


@pytest.mark.parametrize("name", JSON_RECORDS)
def test_every_real_record_validates_even_with_undeclared_keys_forbidden(name):
    record = load_json(name)
    assert study_errors(record) == []
    assert study_errors(record, closed=True) == []


def test_a_phase_outside_the_registry_enum_is_rejected():
    record = load_json("NCT04207047.json")
    record["protocolSection"]["designModule"]["phases"] = ["PHASE1/PHASE2"]
    errors = study_errors(record)
    assert len(errors) == 1
    assert errors[0].startswith("$.protocolSection.designModule.phases[0]: 'PHASE1/PHASE2'")


def test_a_wrongly_typed_enrolment_count_is_rejected():
    record = load_json("NCT04207047.json")
    record["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = "41"
    assert any("enrollmentInfo.count" in e for e in study_errors(record))


def test_an_age_not_in_the_registry_pattern_is_rejected():
    record = load_json("NCT04047628.json")
    record["protocolSection"]["eligibilityModule"]["minimumAge"] = "18 years old"
    assert any("minimumAge" in e for e in study_errors(record))


def test_a_date_that_is_not_a_calendar_date_breaks_the_date_format():
    record = load_json("NCT02210780.json")
    record["protocolSection"]["statusModule"]["studyFirstSubmitDate"] = "2014-02-30"
    assert any("studyFirstSubmitDate" in e for e in study_errors(record))


def test_a_misspelt_key_passes_the_open_schema_but_not_the_closed_one():
    record = copy.deepcopy(load_json("NCT04207047.json"))
    record["protocolSection"]["designModule"]["phase"] = ["PHASE2"]
    assert study_errors(record) == []
    assert study_errors(record, closed=True) == [
        "$.protocolSection.designModule: Additional properties are not allowed "
        "('phase' was unexpected)"]


OPENAPI = {"components": {"schemas": {
    "Dose": {"type": "object", "properties": {
        "amount": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
        "unit": {"$ref": "#/components/schemas/Unit", "nullable": True},
        "note": {"type": "string", "nullable": True, "example": "with food"},
        "nullable": {"type": "boolean"}}},
    "Unit": {"type": "string", "enum": ["mg", "g"]},
}}}


def _validator(root: str = "Dose") -> Draft202012Validator:
    return Draft202012Validator(json_schema_from_openapi(OPENAPI, root))


def test_nullable_fields_accept_null_and_still_check_their_type():
    validator = _validator()
    assert validator.is_valid({"amount": 1, "unit": None, "note": None})
    assert not validator.is_valid({"amount": 1, "unit": "kg"})
    assert not validator.is_valid({"amount": 1, "note": 5})


def test_a_boolean_exclusive_minimum_becomes_a_numeric_bound():
    assert not _validator().is_valid({"amount": 0})
    assert _validator().is_valid({"amount": 0.5})


def test_a_property_named_like_a_keyword_is_kept():
    assert not _validator().is_valid({"amount": 1, "nullable": "yes"})


def test_converting_an_unknown_root_names_it():
    with pytest.raises(KeyError, match="'Nope'"):
        json_schema_from_openapi(OPENAPI, "Nope")


def test_the_bundled_spec_is_the_reference_copy():
    assert SPEC_PATH.read_bytes() == (CTGOV / "ctg-oas-v2.yaml").read_bytes()
