"""A FHIR R4 Bundle read into the logical patient record and screened like a JSON record."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from tests.conftest import FIXTURES, REFERENCE_PROTOCOL, ROOT
from trialkit.cli.main import main
from trialkit.core.eligibility.compile import screen
from trialkit.core.eligibility.record import RecordError
from trialkit.core.protocol import load_protocol
from trialkit.core.protocol.record import RecordSection
from trialkit.interop import fhir

BUNDLE_PATH = FIXTURES / "fhir" / "screening_bundle.json"
BUNDLE = json.loads(BUNDLE_PATH.read_text(encoding="utf-8"))
PROTOCOL = load_protocol(REFERENCE_PROTOCOL)


def record_from_bundle(bundle: dict, protocol=PROTOCOL):
    return fhir.record_from_bundle(bundle, protocol)


def _resource(bundle: dict, resource_id: str) -> dict:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == resource_id)


def test_patient_consent_and_conditions_map_to_the_record():
    record = record_from_bundle(BUNDLE)
    assert (record.patient_id, record.sex, record.birth_date) == \
        ("scr-0101", "female", dt.date(1986, 9, 23))
    assert record.consent_date == dt.date(2026, 11, 2)
    assert record.attestations["willing_to_consent"] is True
    assert [d["code"] for d in record.rows("diagnoses")] == ["SNOMED:426373005", "ICD10:G35"]
    assert record.rows("relapses") == ({"onset_date": dt.date(2026, 3, 14)},)


def test_observations_map_codes_ucum_units_and_reference_ranges():
    record = record_from_bundle(BUNDLE)
    labs = {lab["test"]: lab for lab in record.rows("labs")}
    assert (labs["LOINC:5902-2"]["value"], labs["LOINC:5902-2"]["uln"]) == (11.8, 13.2)
    assert labs["LOINC:1920-8"]["unit"] == "µkat/L"
    assert labs["LOINC:98979-8"]["unit"] == "mL/min/1.73m2"
    assert labs["LOINC:2106-3"]["value_text"] == "negative"
    assert labs["LOINC:1558-6"]["value"] == 5.4  # the entered-in-error 540 mg/dL is ignored
    assert "LOINC:82810-3" not in labs  # a pregnancy status is an answer, not a lab result
    assert record.attestations["pregnant"] is False


def test_the_protocols_tables_come_from_their_fhir_declarations():
    """mri_scans: two column sources merged per date; edss: one source, a row each."""
    record = record_from_bundle(BUNDLE)
    assert [(s["gd_enhancing_lesions"], s["new_t2_lesions"])
            for s in record.rows("mri_scans")] == [(2, 1)]
    assert [e["score"] for e in record.rows("edss")] == [4.0]


def test_a_protocol_without_those_tables_reads_the_same_bundle_as_base_record_only():
    """Without the declarations the relapse Condition is just a diagnosis-free Condition
    and the MS observations are no lab results: nothing lands in an undeclared table."""
    bare = PROTOCOL.model_copy(update={"record": RecordSection()})
    record = record_from_bundle(BUNDLE, bare)
    assert set(record.tables) == {"diagnoses", "labs", "medications"}


def test_medication_statements_map_to_exposures():
    meds = {m["ingredient"]: m for m in record_from_bundle(BUNDLE).rows("medications")}
    assert meds["fingolimod"]["end_date"] is None and meds["fingolimod"]["atc"] == "L04AE01"
    assert meds["fingolimod"]["route"] == "oral"
    assert meds["interferon beta-1a"]["end_date"] == dt.date(2021, 12, 20)


def test_a_refuted_condition_is_not_a_diagnosis(reference_protocol):
    result = screen(reference_protocol, record_from_bundle(BUNDLE), as_of=dt.date(2026, 11, 20))
    assert result.statuses()["E5"] == "not_met"
    assert result.verdict == "eligible", result.to_json()


def test_a_bundle_failing_fhir_validation_names_the_element():
    bundle = copy.deepcopy(BUNDLE)
    _resource(bundle, "pt")["valueQuantity"]["value"] = "eleven"
    with pytest.raises(RecordError) as info:
        record_from_bundle(bundle)
    assert any(path.endswith("resource.valueQuantity.value") and path.startswith("entry[")
               for path, _ in info.value.problems)


def test_an_unknown_unit_names_the_bundle_entry():
    bundle = copy.deepcopy(BUNDLE)
    quantity = _resource(bundle, "glu")["valueQuantity"]
    quantity["code"] = quantity["unit"] = "mg/dl"
    with pytest.raises(RecordError) as info:
        record_from_bundle(bundle)
    (path, message), = info.value.problems
    assert path.startswith("entry[") and "(Observation/glu): labs[" in path
    assert "unknown unit 'mg/dl'" in message


def test_a_partial_birth_date_is_rejected():
    bundle = copy.deepcopy(BUNDLE)
    _resource(bundle, "scr-0101")["birthDate"] = "1986"
    with pytest.raises(RecordError) as info:
        record_from_bundle(bundle)
    assert info.value.problems[0][0].endswith("birth_date")


def test_something_other_than_a_bundle_is_rejected():
    with pytest.raises(RecordError, match="expected a FHIR Bundle"):
        record_from_bundle({"resourceType": "Patient", "id": "x"})


def test_the_cli_screens_a_bundle_with_format_fhir(capsys):
    code = main(["screen", str(BUNDLE_PATH), "--format", "fhir", "--as-of", "2026-11-20",
                 "--json", "--protocol", str(REFERENCE_PROTOCOL)])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "eligible"


STROKE = "urn:trialkit:stroke"
STROKE_CONDITION = {"system": "http://snomed.info/sct", "code": "422504002"}


def _stroke_bundle(*resources: dict) -> dict:
    patient = {"resourceType": "Patient", "id": "scr-7", "gender": "male",
               "birthDate": "1960-05-01"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": patient}, *({"resource": {
                **r, "subject": {"reference": "Patient/scr-7"}}} for r in resources)]}


def _stroke_observation(code: str, day: str, value: dict) -> dict:
    return {"resourceType": "Observation", "id": code, "status": "final",
            "code": {"coding": [{"system": STROKE, "code": code}]},
            "effectiveDateTime": day, **value}


def test_a_declared_text_column_is_read_from_a_string_or_a_coded_value():
    """toast from valueString; other_cause from a coding's code; territory from a concept's
    text; a number column still ignores text."""
    stroke = load_protocol(ROOT / "protocols" / "nct01716481.yaml")
    bundle = _stroke_bundle(
        {"resourceType": "Condition", "id": "stroke", "code": {"coding": [STROKE_CONDITION]},
         "onsetDateTime": "2026-02-01"},
        _stroke_observation("toast", "2026-02-01", {"valueString": "other_determined"}),
        _stroke_observation("other-cause", "2026-02-01", {"valueCodeableConcept": {
            "coding": [{"system": STROKE, "code": "dissection"}], "text": "Dissection"}}),
        _stroke_observation("dwi-territory", "2026-02-03",
                            {"valueCodeableConcept": {"text": "mca"}}),
        _stroke_observation("dwi-max-diameter-mm", "2026-02-03", {"valueString": "40"}))
    record = fhir.record_from_bundle(bundle, stroke)
    assert record.rows("strokes") == ({"onset_date": dt.date(2026, 2, 1),
                                       "toast": "other_determined",
                                       "other_cause": "dissection", "prestroke_mrs": None},)
    assert record.rows("dwi_mri") == ({"date": dt.date(2026, 2, 3), "territory": "mca",
                                       "lesion_side": None, "max_diameter_mm": None,
                                       "periventricular_involvement": None},)


def test_a_condition_in_the_diagnosis_category_is_a_diagnosis_not_a_table_row():
    stroke = load_protocol(ROOT / "protocols" / "nct01716481.yaml")
    category = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                      "condition-category", "code": "encounter-diagnosis"}]}
    bundle = _stroke_bundle(
        {"resourceType": "Condition", "id": "event", "code": {"coding": [STROKE_CONDITION]},
         "onsetDateTime": "2026-02-01"},
        {"resourceType": "Condition", "id": "dx", "code": {"coding": [STROKE_CONDITION]},
         "category": [category], "onsetDateTime": "2026-02-02"})
    record = fhir.record_from_bundle(bundle, stroke)
    assert [r["onset_date"] for r in record.rows("strokes")] == [dt.date(2026, 2, 1)]
    assert [(d["code"], d["date"]) for d in record.rows("diagnoses")] == \
        [("SNOMED:422504002", dt.date(2026, 2, 2))]
