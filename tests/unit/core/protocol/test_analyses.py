"""Analyses are protocol data: each one must name a method, dataset, parameter, variables and an
analysis set that will exist, and derived parameters must read forms and parameters that do."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import REFERENCE_PROTOCOL, ROOT
from trialkit.core.protocol import ProtocolError, load_protocol, parse_protocol
from trialkit.core.protocol.analyses import Where
from trialkit.core.protocol.analysis_datasets import dataset_specs, variables_of

TEXT = REFERENCE_PROTOCOL.read_text(encoding="utf-8")
PROTOCOLS = sorted((ROOT / "protocols").glob("*.yaml"))


def _one(edit) -> tuple[str, str]:
    data = yaml.safe_load(TEXT)
    edit(data)
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(yaml.safe_dump(data, allow_unicode=True), source="amended.yaml")
    problems = [(p.dotted_path(), p.message) for p in caught.value.problems]
    assert len(problems) == 1, problems
    return problems[0]


def _analysis(data, analysis_id):
    return next(a for e in data["endpoints"] for a in e.get("analyses", ())
                if a["id"] == analysis_id)


def test_a_method_outside_the_registry_is_refused_with_the_known_ones():
    path, message = _one(lambda d: _analysis(d, "edss_m12_ancova").update(method="anova"))
    assert path == "endpoints[1].analyses[0].method"
    assert "unknown analysis method 'anova'" in message and "ancova" in message


def test_an_undefined_analysis_set_is_refused():
    path, message = _one(lambda d: _analysis(d, "arr_nb").update(analysis_set="per_protocol"))
    assert path.endswith("analysis_set") and "'per_protocol'" in message


def test_a_variable_the_dataset_will_not_have_is_refused():
    path, message = _one(lambda d: _analysis(d, "edss_m12_ancova").update(covariates=["BASE2"]))
    assert path == "endpoints[1].analyses[0].covariates[0]"
    assert "'BASE2' is not a variable of ADEDSS" in message


def test_a_parameter_no_form_item_or_derivation_gives_is_refused():
    path, message = _one(lambda d: _analysis(d, "cdw_km").update(parameter="CDW24"))
    assert path.endswith("parameter") and "ADTTE has no parameter 'CDW24'" in message


def test_a_relation_variable_exists_only_where_an_ae_item_is_annotated_with_it():
    _, message = _one(lambda d: _analysis(d, "teae_by_relation_it").update(
        variable="AERELXX"))
    assert "'AERELXX' is not a variable of ADAE" in message


def test_an_option_the_method_does_not_take_or_of_the_wrong_kind_is_refused():
    assert "'level' is not an option of ae_by_term" in _one(
        lambda d: _analysis(d, "teae_by_term")["options"].update(level=["AETERM"]))[1]
    assert "expected one of model, quasi, robust" in _one(
        lambda d: _analysis(d, "arr_robust")["options"].update(variance="sandwich"))[1]


def test_a_reference_must_be_an_arm_or_a_sequence():
    assert "unknown arm or sequence 'sham'" in _one(
        lambda d: _analysis(d, "arr_nb").update(reference="sham"))[1]


def test_a_derived_parameter_reads_existing_forms_and_parameters():
    def wrong_form(d):
        d["analysis_data"]["time_to_event"][0]["excluding"]["events"] = "AE"
    assert "'AE' is not an event-log form" in _one(wrong_form)[1]

    def wrong_source(d):
        d["analysis_data"]["counts"][1]["sum_of"]["parameter"] = "GDLESION"
    path, message = _one(wrong_source)
    assert path == "analysis_data.counts[1].sum_of.parameter"
    assert "ADMRI has no parameter 'GDLESION'" in message


def test_a_where_clause_is_a_condition_or_one_compound():
    with pytest.raises(ValueError, match="either a condition"):
        Where.model_validate({"variable": "AESER", "comparator": "EQ", "values": ["Y"],
                              "all_of": [{"variable": "A", "comparator": "EQ", "values": [1]}]})
    assert Where.model_validate({"none_of": [{"variable": "AESER", "comparator": "EQ",
                                              "values": ["Y"]}]}).as_data() == {
        "not": {"any_of": [{"variable": "AESER", "comparator": "EQ", "values": ["Y"]}]}}


def test_an_endpoint_may_still_give_only_a_name_for_its_analysis():
    data = yaml.safe_load(TEXT)
    data["endpoints"][0].pop("analyses")
    data["endpoints"][0]["analysis"] = "incidence_table"
    protocol = parse_protocol(yaml.safe_dump(data, allow_unicode=True))
    assert protocol.endpoints[0].analysis == "incidence_table"
    assert protocol.endpoints[0].analyses == ()


@pytest.mark.parametrize("path", PROTOCOLS, ids=[p.stem for p in PROTOCOLS])
def test_every_protocol_declares_its_endpoints_analyses_as_data(path):
    protocol = load_protocol(path)
    specs = dataset_specs(protocol)
    assert all(endpoint.analyses for endpoint in protocol.endpoints)
    for analysis in (a for e in protocol.endpoints for a in e.analyses):
        assert analysis.grouping in variables_of(protocol, analysis.dataset), analysis.id
        assert analysis.dataset in specs


def test_the_relation_to_each_administration_comes_from_the_ae_annotations():
    adae = dataset_specs(load_protocol(REFERENCE_PROTOCOL))["ADAE"]
    relations = {v.name: v.item for v in adae.variables if v.name.startswith("AEREL")}
    assert relations == {"AERELIV": "relation_iv", "AERELIT": "relation_it",
                         "AERELPR": "relation_procedure", "AEREL": "relation_study"}
