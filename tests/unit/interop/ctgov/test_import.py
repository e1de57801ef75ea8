"""Registry records (API v2 JSON and classic XML) become protocol skeletons that load."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.interop.ctgov.conftest import CTGOV, JSON_RECORDS, XML_RECORD, load_json
from trialkit.core.protocol import Protocol, load_protocol
from trialkit.interop.ctgov import (
    RecordError,
    read_record,
    skeleton_from_study,
    skeleton_yaml,
    study_errors,
)

# Counted by hand from each record's eligibility text. NCT02210780 ends with an unnumbered
# note ("The information listed above is not intended...") that becomes its own exclusion
# item, E8, rather than being merged into E7 or dropped.
CRITERIA_COUNTS = {"NCT02210780": (5, 8), "NCT04207047": (9, 19), "NCT04047628": (12, 39),
                   "NCT06408259": (3, 4), "NCT03424005": (19, 20)}


def _skeleton(name: str, tmp_path: Path) -> Protocol:
    text = skeleton_yaml(read_record((CTGOV / name).read_text(encoding="utf-8")), source=name)
    path = tmp_path / "skeleton.yaml"
    path.write_text(text, encoding="utf-8")
    return load_protocol(path)


def _years(age: str | None) -> int | None:
    return None if age is None else int(age.removesuffix(" Years"))


@pytest.mark.parametrize("name", JSON_RECORDS)
def test_a_json_record_becomes_a_loadable_skeleton_with_the_record_facts(name, tmp_path):
    protocol = _skeleton(name, tmp_path)
    ps = load_json(name)["protocolSection"]
    ident, elig = ps["identificationModule"], ps["eligibilityModule"]
    assert protocol.identity.id == ident["nctId"]
    assert protocol.identity.brief_title == ident["briefTitle"]
    assert protocol.identity.official_title == ident.get("officialTitle")
    assert list(protocol.design.phases) == ps["designModule"]["phases"]
    arms = ps.get("armsInterventionsModule", {}).get("armGroups", [])
    assert [a.label for a in protocol.design.arms] == [a["label"] for a in arms]
    assert protocol.eligibility.minimum_age_years == _years(elig.get("minimumAge"))
    assert protocol.eligibility.maximum_age_years == _years(elig.get("maximumAge"))
    assert protocol.eligibility.sex == elig["sex"]
    assert protocol.eligibility.healthy_volunteers is elig["healthyVolunteers"]
    assert _counts(protocol) == CRITERIA_COUNTS[ident["nctId"]]


def _counts(protocol: Protocol) -> tuple[int, int]:
    free = [c for c in protocol.eligibility.criteria if c.id not in ("AGE", "SEX")]
    return (sum(c.kind == "inclusion" for c in free), sum(c.kind == "exclusion" for c in free))


def test_the_xml_record_becomes_a_loadable_skeleton_with_the_record_facts(tmp_path):
    protocol = _skeleton(XML_RECORD, tmp_path)
    assert protocol.identity.id == "NCT03424005"
    assert protocol.identity.acronym == "Morpheus-TNBC"
    assert protocol.identity.brief_title.startswith("A Study Evaluating the Efficacy and Safety")
    assert protocol.design.phases == ("PHASE1", "PHASE2")
    assert protocol.design.masking.level == "NONE"
    assert protocol.design.enrolment.count == 310 and protocol.design.enrolment.type == "ESTIMATED"
    assert [a.label for a in protocol.design.arms][:2] == ["Capecitabine",
                                                           "Atezolizumab + Ipatasertib"]
    assert len(protocol.design.arms) == 9 and len(protocol.design.interventions) == 9
    assert protocol.status.start.date == dt.date(2018, 3, 30)
    assert protocol.status.start.type == "ACTUAL"
    assert protocol.eligibility.minimum_age_years == 18
    assert protocol.eligibility.maximum_age_years is None
    assert protocol.eligibility.sex == "ALL" and protocol.eligibility.healthy_volunteers is False
    assert _counts(protocol) == CRITERIA_COUNTS["NCT03424005"]
    assert len(protocol.identity.sites) == 22
    assert protocol.identity.sites[0].city == "La Jolla"


def test_the_xml_record_read_as_api_v2_passes_the_registry_schema():
    study = read_record((CTGOV / XML_RECORD).read_text(encoding="utf-8"))
    assert study_errors(study, closed=True) == []


def test_ages_become_an_executable_age_rule_and_criteria_keep_their_verbatim_text(tmp_path):
    protocol = _skeleton("NCT04047628.json", tmp_path)
    age = protocol.eligibility.criteria[0]
    assert (age.id, age.kind, age.rule) == ("AGE", "inclusion", "age >= 18 and age <= 55")
    first = protocol.eligibility.criteria[1]
    assert (first.id, first.rule) == ("I1", None)
    assert first.text == "Age 18 to 55 years, inclusive, at the time of the screening Visit -2."
    assert protocol.eligibility.criteria[-1].id == "E39"


def test_every_criterion_without_a_rule_is_listed_as_needing_one(tmp_path):
    protocol = _skeleton("NCT06408259.json", tmp_path)
    note = next(i for i in protocol.interpretations if i.id == "import-criteria-need-rules")
    unruled = [c.id for c in protocol.eligibility.criteria if c.rule is None]
    assert note.kind == "assumption"
    assert list(note.governs) == [f"eligibility.criteria[{c}].rule" for c in unruled]
    assert unruled == ["I1", "I2", "I3", "E1", "E2", "E3", "E4"]


def _study(**eligibility: Any) -> dict[str, Any]:
    study = copy.deepcopy(load_json("NCT06408259.json"))
    study["protocolSection"]["eligibilityModule"].update(eligibility)
    return study


def test_a_single_sex_study_gets_a_sex_rule():
    data = skeleton_from_study(_study(sex="FEMALE"))
    sex = next(c for c in data["eligibility"]["criteria"] if c["id"] == "SEX")
    assert sex["rule"] == 'sex == "female"'
    assert data["eligibility"]["sex"] == "FEMALE"


def test_an_age_in_months_is_left_without_a_rule_rather_than_rounded():
    data = skeleton_from_study(_study(minimumAge="6 Months", maximumAge="17 Years"))
    age = data["eligibility"]["criteria"][0]
    assert age["rule"] is None and "minimum 6 Months" in age["text"]
    assert "minimum_age_years" not in data["eligibility"]
    assert any(i["id"] == "import-age-units" for i in data["interpretations"])


def test_twenty_four_months_is_two_years():
    data = skeleton_from_study(_study(minimumAge="24 Months", maximumAge="17 Years"))
    assert data["eligibility"]["criteria"][0]["rule"] == "age >= 2 and age <= 17"


def test_a_randomized_record_gets_a_default_part_randomization_schedule_and_roles(tmp_path):
    protocol = _skeleton("NCT02210780.json", tmp_path)
    (part,) = protocol.design.parts
    assert part.allocation == "RANDOMIZED" and part.enrolment_target == 194
    assert protocol.randomization is not None
    assert protocol.randomization.ratio == {a.id: 1 for a in protocol.design.arms}
    assert protocol.schedule.visits[0].id == "SCR"
    assert "unblinded_statistician" in {r.id for r in protocol.roles}
    defaults = {i.id: i for i in protocol.interpretations}
    for ident in ("import-parts", "import-randomization", "import-schedule", "import-roles"):
        assert defaults[ident].kind == "assumption"
        assert "review" in defaults[ident].rationale.lower()


def test_a_record_without_arms_has_no_parts_and_no_randomization(tmp_path):
    protocol = _skeleton("NCT04047628.json", tmp_path)
    assert protocol.design.arms == () and protocol.design.parts == ()
    assert protocol.randomization is None


def test_month_only_dates_are_read_as_the_first_of_the_month_and_said_so(tmp_path):
    protocol = _skeleton("NCT04047628.json", tmp_path)
    assert protocol.status.completion.date == dt.date(2029, 10, 1)
    note = next(i for i in protocol.interpretations if i.id == "import-completion-date")
    assert note.kind == "reading" and "2029-10" in note.statement


def test_a_date_without_a_type_is_actual_when_before_the_last_update():
    study = copy.deepcopy(load_json("NCT04207047.json"))
    del study["protocolSection"]["statusModule"]["startDateStruct"]["type"]
    data = skeleton_from_study(study)
    assert data["status"]["start"]["type"] == "ACTUAL"
    assert any(i["id"] == "import-start-type" for i in data["interpretations"])


def test_locations_without_facility_or_status_are_named_and_dated_from_the_study(tmp_path):
    protocol = _skeleton("NCT02210780.json", tmp_path)
    site = protocol.identity.sites[0]
    assert (site.name, site.status) == ("Site in Birmingham", "COMPLETED")
    assert len({s.id for s in protocol.identity.sites}) == 42


def test_a_location_takes_its_countrys_time_zone_and_a_country_of_several_zones_is_noted():
    study = copy.deepcopy(load_json("NCT02210780.json"))
    study["protocolSection"]["contactsLocationsModule"]["locations"] = [
        {"facility": "China Medical University Hospital", "city": "Taichung",
         "country": "Taiwan"},
        {"facility": "Samsung Medical Center", "city": "Seoul", "country": "Korea, Republic of"},
        {"facility": "Mayo Clinic", "city": "Rochester", "country": "United States"}]
    data = skeleton_from_study(study)
    zones = [site.get("time_zone") for site in data["identity"]["sites"]]
    assert zones == ["Asia/Taipei", "Asia/Seoul", None]
    note = next(i for i in data["interpretations"] if i["id"] == "import-site-zones")
    assert note["governs"] == [f"identity.sites[{data['identity']['sites'][2]['id']}].time_zone"]


def test_qualified_headings_are_recorded_as_readings(tmp_path):
    protocol = _skeleton(XML_RECORD, tmp_path)
    statements = [i.statement for i in protocol.interpretations if i.id.startswith("import-heading")]
    assert "Criteria I16–I19 stand under the registry heading 'Inclusion criteria stage 2'." \
        in statements


def test_the_skeleton_yaml_is_block_style_in_model_order():
    text = skeleton_yaml(load_json("NCT04207047.json"))
    keys = [line.split(":")[0] for line in text.splitlines() if line[:1].isalpha()]
    assert keys == ["format", "identity", "status", "design", "schedule", "eligibility", "roles",
                    "interpretations"]
    assert not any(node.flow_style for node in _collections(yaml.compose(text)))


def _collections(node: yaml.Node) -> list[yaml.CollectionNode]:
    if isinstance(node, yaml.MappingNode):
        return [node, *(n for _, value in node.value for n in _collections(value))]
    if isinstance(node, yaml.SequenceNode):
        return [node, *(n for item in node.value for n in _collections(item))]
    return []


@pytest.mark.parametrize(("text", "message"), [
    ("", "the record is empty"),
    ("Title: a trial", "not a registry record"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a registry record"),
    ('{"studies": [{}, {}]}', "search result with 2 studies"),
    ('{"nctId": "NCT1"}', "no 'protocolSection'"),
    ("<clinical_study><id_info>", "not well-formed XML"),
    ("<ODM/>", "root <clinical_study>, not <ODM>"),
])
def test_unreadable_records_are_refused_with_the_reason(text, message):
    with pytest.raises(RecordError, match=message):
        read_record(text)


def test_missing_required_registry_fields_are_all_named():
    study = copy.deepcopy(load_json("NCT04207047.json"))
    del study["protocolSection"]["identificationModule"]["briefTitle"]
    del study["protocolSection"]["statusModule"]["startDateStruct"]
    with pytest.raises(RecordError) as caught:
        skeleton_from_study(study)
    assert str(caught.value) == (
        "the record lacks required field(s): protocolSection.identificationModule.briefTitle, "
        "protocolSection.statusModule.startDateStruct.date")


def test_a_record_breaking_the_registry_schema_is_refused_with_the_field():
    study = load_json("NCT04207047.json")
    study["protocolSection"]["designModule"]["studyType"] = "CLINICAL"
    with pytest.raises(RecordError, match=r"designModule\.studyType"):
        read_record(json.dumps(study))


def test_a_withdrawn_study_with_no_enrolment_is_refused():
    study = copy.deepcopy(load_json("NCT04207047.json"))
    study["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = 0
    with pytest.raises(RecordError, match=r"enrollmentInfo\.count is 0"):
        skeleton_from_study(study)
