"""Scenario files: every value has a source, grids expand, settings name real values, and a
protocol the model cannot simulate is refused with a clear message."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from tests.unit.core.simulation.conftest import REFERENCE_SCENARIOS, reference_raw, scenarios_of
from trialkit.core.protocol import load_protocol
from trialkit.core.simulation.scenario import (
    ScenarioError,
    check_against,
    expand,
    load_scenario_file,
    protocol_path,
    validate,
)
from trialkit.core.simulation.scenario_file import cited


def test_the_reference_scenario_file_cites_a_listed_source_for_every_value():
    file, _ = load_scenario_file(REFERENCE_SCENARIOS)
    listed = {source.id for source in file.sources}
    assert set(cited(file)) == listed  # every value cites one, every source is cited
    assert protocol_path(file, REFERENCE_SCENARIOS) == ROOT / "protocols" / "nct05532943.yaml"


def test_a_value_without_a_listed_source_is_refused():
    raw = reference_raw()
    raw["population"]["rating_noise"]["source"] = "hunch"
    with pytest.raises(ScenarioError, match="not in sources: hunch"):
        validate(raw)
    del raw["population"]["rating_noise"]["source"]
    with pytest.raises(ScenarioError, match=r"population\.rating_noise\.source"):
        validate(raw)


def test_grids_expand_into_one_scenario_per_combination_with_their_settings():
    raw = reference_raw()
    scenarios = scenarios_of(raw)
    ids = [s.id for s in scenarios]
    assert ids[:2] == ["reference", "gate[related_serious_risk=0.05]"]
    efficacy = [s for s in scenarios if s.id.startswith("efficacy")]
    assert [s.values.effects.disability_change.value for s in efficacy] == [0.0, -0.25, -0.5]
    assert all(s.values.effects.relapse_rate_ratio.value == 0.5 for s in efficacy)
    assert efficacy[-1].setting("effects.disability_change") == -0.5


def test_a_setting_must_name_a_single_value_of_the_file():
    raw = reference_raw()
    raw["scenarios"] = [{"id": "bad", "description": "x",
                         "set": {"population.course_mix": 0.5}}]
    with pytest.raises(ScenarioError, match=r"population\.course_mix: is not a single value"):
        expand(validate(raw), raw)


def test_a_quoted_number_is_an_error_not_a_number():
    raw = reference_raw()
    raw["conduct"]["dropout_per_year"]["value"] = "0.1"
    with pytest.raises(ScenarioError, match="expected a number"):
        validate(raw)


def test_a_stroke_protocol_has_no_model_in_a_multiple_sclerosis_scenario_file():
    stroke = load_protocol(ROOT / "protocols" / "nct01716481.yaml")
    with pytest.raises(ScenarioError) as caught:
        check_against(validate(reference_raw()), stroke)
    text = str(caught.value)
    assert "no record table 'relapses'" in text
    assert "this protocol's endpoints have no model in this scenario file" in text


def test_a_model_trialkit_does_not_have_is_named_with_the_ones_it_has(protocol):
    raw = reference_raw()
    raw["model"] = "ischaemic_stroke"
    with pytest.raises(ScenarioError, match="known: relapsing_multiple_sclerosis"):
        check_against(validate(raw), protocol)


def test_a_crossover_protocol_is_refused_until_crossover_is_simulated():
    mesems = load_protocol(ROOT / "protocols" / "nct01854957.yaml")
    raw = reference_raw()
    raw["effects"]["arm"] = "msc"
    with pytest.raises(ScenarioError, match="crossover part"):
        check_against(validate(raw), mesems)


def test_endpoints_and_visits_must_be_the_protocol_s(protocol):
    raw = reference_raw()
    raw["endpoints"][0]["id"] = "walking_speed"
    raw["endpoints"][0]["measure"]["to_visit"] = "M24"
    with pytest.raises(ScenarioError) as caught:
        check_against(validate(raw), protocol)
    assert {path for path, _ in caught.value.problems} == {
        "endpoints.0.id", "endpoints.0.measure.to_visit"}
