"""Hypothesis: serialisation round-trips and the version depends only on meaning."""

from __future__ import annotations

import copy
from functools import partial

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REFERENCE_TEXT_PATH
from trialkit.core.protocol import (
    canonical_json,
    from_canonical_json,
    parse_protocol,
    protocol_version,
)

BASE = yaml.safe_load(REFERENCE_TEXT_PATH.read_text(encoding="utf-8"))
# libyaml's emitter writes the same YAML as PyYAML's (same options) in a third of the time;
# parsing stays trialkit's own (it keeps every key's line and column).
dump = partial(yaml.dump, Dumper=yaml.CSafeDumper)

free_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                    max_size=80).filter(lambda s: s.strip() == s and s != "")
small = st.integers(min_value=0, max_value=60)


@st.composite
def amended_protocols(draw: st.DrawFn) -> dict:
    """The reference protocol with random, valid amendments to text, numbers and windows."""
    data = copy.deepcopy(BASE)
    data["identity"]["brief_title"] = draw(free_text)
    data["identity"]["sites"][0]["name"] = draw(free_text)
    data["gates"]["sequential_enrolment"][0]["wait_days"] = draw(small)
    data["gates"]["committee"][0]["days_after_administration"] = draw(small)
    for visit in data["schedule"]["visits"]:
        if visit.get("day") is not None and draw(st.booleans()):
            visit["window"] = {"before": draw(small), "after": draw(small)}
    phase1 = draw(st.integers(min_value=1, max_value=20))
    data["design"]["parts"][0]["enrolment_target"] = phase1
    rule = data["gates"]["committee"][0].get("stopping_rule")
    if rule and "of_participants" in rule:  # a stopping rule counts the reviewed part
        rule["of_participants"] = phase1
        rule["events"] = min(rule["events"], phase1)
    data["design"]["enrolment"]["count"] = phase1 + data["design"]["parts"][1]["enrolment_target"]
    criterion = draw(st.sampled_from(data["eligibility"]["criteria"]))
    criterion["text"] = draw(free_text)
    return data


@settings(max_examples=40, deadline=None)
@given(amended_protocols())
def test_canonical_json_round_trips_to_an_equal_protocol_with_the_same_version(data):
    protocol = parse_protocol(dump(data, allow_unicode=True))
    again = from_canonical_json(canonical_json(protocol))
    assert again == protocol
    assert protocol_version(again) == protocol_version(protocol)


@settings(max_examples=25, deadline=None)
@given(amended_protocols(), st.booleans())
def test_yaml_layout_never_changes_the_version(data, flow_style):
    block = parse_protocol(dump(data, allow_unicode=True, sort_keys=True))
    other = parse_protocol(dump(data, allow_unicode=False, sort_keys=False,
                                          default_flow_style=flow_style, width=40))
    assert protocol_version(block) == protocol_version(other)


@settings(max_examples=25, deadline=None)
@given(amended_protocols(), small)
def test_changing_one_setting_always_changes_the_version(data, wait):
    before = parse_protocol(dump(data))
    data["gates"]["sequential_enrolment"][0]["wait_days"] = wait + 61
    after = parse_protocol(dump(data))
    assert protocol_version(before) != protocol_version(after)
