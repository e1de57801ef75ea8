"""The ResearchStudy Bundle: what a hospital's research registry learns from the protocol."""

from __future__ import annotations

import copy

import pytest

from trialkit.interop.fhir_export import bundle_problems, study_bundle
from trialkit.interop.fhir_export.study import STUDY_STATUS

pytestmark = pytest.mark.protocols()

PHASES = {"n-a", "early-phase-1", "phase-1", "phase-1-phase-2", "phase-2", "phase-2-phase-3",
          "phase-3", "phase-4"}
"""The codes of http://terminology.hl7.org/CodeSystem/research-study-phase."""


def _resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _by_url(bundle):
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


def test_the_study_bundle_passes_fhir_resources_for_every_protocol(trial):
    bundle = study_bundle(trial.protocol)
    assert bundle["type"] == "collection"
    assert bundle_problems(bundle) == []


def test_the_research_study_carries_the_registry_ids_title_status_and_phase(trial):
    protocol = trial.protocol
    study = _resources(study_bundle(protocol), "ResearchStudy")[0]
    values = {i["value"] for i in study["identifier"]}
    assert {r.id for r in protocol.identity.registry_ids} | {protocol.identity.org_study_id} \
        <= values
    assert study["status"] == STUDY_STATUS[protocol.status.overall]
    (coding,) = study["phase"]["coding"]
    assert coding["system"].endswith("/research-study-phase") and coding["code"] in PHASES
    if set(protocol.design.phases) == {"PHASE1", "PHASE2"}:
        assert coding["code"] == "phase-1-phase-2"
    assert [c["text"] for c in study["condition"]] == list(protocol.identity.conditions)


def test_every_arm_is_listed_with_its_type_and_description(trial):
    study = _resources(study_bundle(trial.protocol), "ResearchStudy")[0]
    arms = {a["name"]: a for a in study["arm"]}
    for arm in trial.protocol.design.arms:
        assert arms[arm.label]["description"] == arm.description
        assert arms[arm.label]["type"]["text"]
    sequences = [s for part in trial.protocol.design.parts for s in part.sequences]
    assert {s.label for s in sequences} <= set(arms)


def test_sites_sponsor_and_eligibility_group_are_referenced_entries_of_the_bundle(trial):
    bundle = study_bundle(trial.protocol)
    study, entries = _resources(bundle, "ResearchStudy")[0], _by_url(bundle)
    sites = [entries[ref["reference"]] for ref in study["site"]]
    assert [s["name"] for s in sites] == [s.name for s in trial.protocol.identity.sites]
    assert all(s["resourceType"] == "Location" for s in sites)
    assert entries[study["sponsor"]["reference"]]["name"] == trial.protocol.identity.sponsor.name
    group = entries[study["enrollment"][0]["reference"]]
    assert group["resourceType"] == "Group" and group["actual"] is False
    assert group["quantity"] == trial.protocol.design.enrolment.count


def test_each_criterion_is_a_characteristic_excluding_for_an_exclusion(trial):
    group = _resources(study_bundle(trial.protocol), "Group")[0]
    by_id = {c["code"]["coding"][0]["code"]: c for c in group["characteristic"]
             if c["code"].get("coding", [{}])[0].get("system") == "urn:trialkit:criterion"}
    criteria = trial.protocol.eligibility.criteria
    assert list(by_id) == [c.id for c in criteria]
    for criterion in criteria:
        characteristic = by_id[criterion.id]
        assert characteristic["code"]["text"] == criterion.text
        assert characteristic["valueBoolean"] is True
        assert characteristic["exclude"] is (criterion.kind == "exclusion")


def test_the_age_limits_are_a_range_in_years(trial):
    rules = trial.protocol.eligibility
    group = _resources(study_bundle(trial.protocol), "Group")[0]
    ages = [c["valueRange"] for c in group["characteristic"] if "valueRange" in c]
    assert ages[0].get("low", {}).get("value") == rules.minimum_age_years
    assert ages[0].get("high", {}).get("value") == rules.maximum_age_years
    assert ages[0].get("low", ages[0].get("high"))["code"] == "a"


def test_the_validator_finds_a_missing_required_element_and_a_code_outside_its_value_set(trial):
    bundle = study_bundle(trial.protocol)
    broken = copy.deepcopy(bundle)
    group = next(e["resource"] for e in broken["entry"]
                 if e["resource"]["resourceType"] == "Group")
    del group["characteristic"][0]["exclude"]
    assert any("exclude" in p for p in bundle_problems(broken))
    broken = copy.deepcopy(bundle)
    broken["entry"][0]["resource"]["status"] = "recruiting"
    assert bundle_problems(broken) == [
        "entry[0].resource.status: 'recruiting' is not an R4 ResearchStudy.status code"]


def test_the_same_protocol_gives_the_same_file(trial):
    assert study_bundle(trial.protocol) == study_bundle(trial.protocol)
