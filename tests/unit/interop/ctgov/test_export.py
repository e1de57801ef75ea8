"""The reference protocol as an API v2 study record: valid, and carrying every seed fact.

The expected facts are read from the seed (the study's public registry page as text,
tests/fixtures/ctgov/NCT05532943.txt), not from the protocol, so the test compares the export
against the registry's own words.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.unit.interop.ctgov.conftest import CTGOV
from trialkit.interop.ctgov import RecordError, study_errors, study_record
from trialkit.interop.ctgov.eligibility_text import parse_criteria
from trialkit.interop.ctgov.export import standard_ages

SEED = (CTGOV / "NCT05532943.txt").read_text(encoding="utf-8").splitlines()


def _after(label: str, nth: int = 1, *, within: str | None = None) -> str:
    """The nth non-blank line after the seed line reading ``label`` (in section ``within``)."""
    start = SEED.index(label, SEED.index(within) if within else 0)
    return [line for line in SEED[start + 1:] if line.strip()][nth - 1].strip()


def _numbered_between(first: str, last: str) -> list[str]:
    lines = SEED[SEED.index(first) + 1:SEED.index(last)]
    return [m[1] for line in lines if (m := re.match(r"^\d+\. (.*)$", line))]


@pytest.fixture(scope="module")
def record(reference_protocol) -> dict[str, Any]:
    return study_record(reference_protocol)


@pytest.fixture(scope="module")
def section(record) -> dict[str, Any]:
    return record["protocolSection"]


def test_the_export_validates_against_the_registry_study_schema(record):
    assert study_errors(record) == []
    assert study_errors(record, closed=True) == []


@pytest.mark.protocols()
def test_every_protocols_export_validates_against_the_registry_study_schema(trial):
    exported = study_record(trial.protocol)
    assert study_errors(exported) == [] and study_errors(exported, closed=True) == []
    assert exported["protocolSection"]["identificationModule"]["nctId"] == \
        trial.protocol.identity.id


def test_identity_titles_and_sponsor_match_the_seed(section):
    ident = section["identificationModule"]
    assert ident["nctId"] == SEED[2].removeprefix("NCT ID: ") == "NCT05532943"
    assert ident["orgStudyIdInfo"] == {"id": _after("Other Identifiers", 2)}
    assert ident["briefTitle"] == SEED[0]
    assert "officialTitle" not in ident  # the seed gives none
    sponsor = section["sponsorCollaboratorsModule"]
    assert sponsor["leadSponsor"] == {"name": _after("Sponsors", 2), "class": _after("Sponsors", 3)}
    assert ident["organization"] == {"fullName": _after("Sponsors", 2),
                                     "class": _after("Sponsors", 3)}
    assert sponsor["responsibleParty"] == {
        "type": _after("Responsible Party", 2).removeprefix("Responsibility Role ")}


def test_status_and_dates_match_the_seed(section):
    status = section["statusModule"]
    assert status["overallStatus"] == _after("Recruitment Status")
    assert status["startDateStruct"]["date"] == _after("Study Start Date")
    assert status["completionDateStruct"]["date"] == _after("Study Completion Date")
    assert status["lastUpdatePostDateStruct"]["date"] == SEED[4].removeprefix("Last Updated: ")


def test_the_summary_description_and_condition_match_the_seed(section):
    description = section["descriptionModule"]
    assert description["briefSummary"] == _after("Brief Summary", 2)
    assert description["detailedDescription"] == _after("Detailed Description", 2)
    assert section["conditionsModule"]["conditions"] == [_after("Conditions", 2)]


def test_design_matches_the_seed(section):
    design = section["designModule"]
    assert design["studyType"] == _after("Study Classification") == "INTERVENTIONAL"
    assert design["phases"] == _after("Clinical Phase").split("/") == ["PHASE1", "PHASE2"]
    assert design["enrollmentInfo"]["count"] == int(_after("Total Enrollment").split()[0]) == 41
    info = design["designInfo"]
    assert info["allocation"] == _after("Allocation Method")
    assert info["interventionModel"] == _after("Intervention Model")
    assert info["primaryPurpose"] == _after("Primary Study Purpose")
    assert info["maskingInfo"]["masking"] == _after("Blinding Strategy") == "DOUBLE"
    who = _after("Blinding Strategy", 2).upper().replace("INVESTIGATORS", "INVESTIGATOR")
    assert info["maskingInfo"]["whoMasked"] == who.replace("PARTICIPANTS", "PARTICIPANT").split()


def test_both_arms_and_interventions_match_the_seed(section):
    arms = section["armsInterventionsModule"]["armGroups"]
    interventions = section["armsInterventionsModule"]["interventions"]
    for arm, label in zip(arms, ("UMSC01", "Placebo"), strict=True):
        assert arm["label"] == label
        assert arm["description"] == _after(label)
        assert arm["type"] == _after(label, 2).removeprefix("Group Type ")
        name = _after(label, 3)
        assert arm["interventionNames"] == [f"Biological: {name}"]
    for item in interventions:
        assert item["description"] == _after(item["name"], within="Interventions")
        assert item["type"] == _after(item["name"], 2, within="Interventions").removeprefix(
            "Intervention Type ")
    assert [i["armGroupLabels"] for i in interventions] == [["UMSC01"], ["Placebo"]]
    assert interventions[0]["otherNames"] == ["UMSC01"]


def test_every_criterion_is_written_verbatim_in_the_registry_layout(section):
    eligibility = section["eligibilityModule"]
    text = eligibility["eligibilityCriteria"]
    assert text.startswith("Inclusion Criteria:\n\n1. ")
    assert "\n\nExclusion Criteria:\n\n1. " in text
    parsed = parse_criteria(text)
    assert [c.text for c in parsed if c.kind == "inclusion"] == _numbered_between(
        "Inclusion Criteria", "Exclusion Criteria")
    assert [c.text for c in parsed if c.kind == "exclusion"] == _numbered_between(
        "Exclusion Criteria", "Minimum Eligible Age")
    assert len(parsed) == 19


def test_ages_sex_and_healthy_volunteers_match_the_seed(section):
    eligibility = section["eligibilityModule"]
    assert eligibility["minimumAge"] == _after("Minimum Eligible Age") == "20 Years"
    assert eligibility["maximumAge"] == _after("Maximum Eligible Age") == "65 Years"
    assert eligibility["sex"] == _after("Eligible Sex") == "ALL"
    assert eligibility["healthyVolunteers"] is (_after("Accepts Healthy Volunteers") == "Yes")
    assert eligibility["healthyVolunteers"] is False


def test_the_study_chair_and_both_central_contacts_match_the_seed(section):
    contacts = section["contactsLocationsModule"]
    assert contacts["overallOfficials"] == [{
        "name": _after("Principal Investigators", 2),
        "affiliation": _after("Principal Investigators", 4),
        "role": _after("Principal Investigators", 3).removeprefix("Role: ")}]
    phone, ext = _after("Jack Tsai", 2).split(" ext. ")
    assert contacts["centralContacts"] == [
        {"name": "Sammi Hsu", "role": "CONTACT", "phone": _after("Central Contacts", 4)},
        {"name": "Jack Tsai", "role": "CONTACT", "phone": phone, "phoneExt": ext}]


def test_the_location_carries_its_status_and_facility_contact(section):
    (location,) = section["contactsLocationsModule"]["locations"]
    city, _, country = _after("Locations", 3).split(", ")
    assert location == {
        "facility": _after("Locations", 2), "status": _after("Locations", 4).split()[-1],
        "city": city, "country": country,
        "contacts": [{"name": _after("Facility Contacts", 2), "role": "CONTACT"}]}
    assert _after("Countries", 2) == country


def test_the_seed_reports_no_results_and_neither_does_the_export(record):
    assert _after("Study Results") == "Results pending"
    assert record["hasResults"] is False


@pytest.mark.parametrize(("low", "high", "groups"), [
    (20, 65, ["ADULT", "OLDER_ADULT"]), (18, 64, ["ADULT"]), (10, 17, ["CHILD"]),
    (18, None, ["ADULT", "OLDER_ADULT"]), (None, None, ["CHILD", "ADULT", "OLDER_ADULT"]),
    (65, None, ["OLDER_ADULT"])])
def test_standard_age_groups_follow_the_registry_bands(low, high, groups):
    assert standard_ages(low, high) == groups


def test_a_protocol_whose_record_breaks_the_schema_is_refused(reference_protocol):
    broken = reference_protocol.model_copy(update={"design": reference_protocol.design.model_copy(
        update={"phases": ("PHASE5",)})})
    with pytest.raises(RecordError, match=r"designModule\.phases\[0\]"):
        study_record(broken)
