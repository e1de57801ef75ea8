"""A committee gate may declare its stopping rule in the protocol; the loader checks it against
the reviewed part and the adverse-event form, and the field alone re-versions no protocol."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.conftest import REFERENCE_PROTOCOL
from trialkit.core.protocol import ProtocolError, parse_protocol, protocol_version


def reference_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(REFERENCE_PROTOCOL.read_text(encoding="utf-8"))
    return data


def with_rule(rule: dict[str, Any]) -> dict[str, Any]:
    data = reference_data()
    data["gates"]["committee"][0]["stopping_rule"] = rule
    return data


def problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(yaml.safe_dump(data))
    return {problem.dotted_path(): problem.message for problem in caught.value.problems}


EVENT = {"description": "related SAE", "related": ["possible", "probable", "definite"]}


def test_a_posterior_threshold_rule_is_a_valid_declaration():
    rule = {"kind": "posterior_threshold", "prior": {"a": 1.0, "b": 1.0},
            "threshold_rate": 0.2, "probability": 0.8, "of_participants": 6, "event": EVENT}
    protocol = parse_protocol(yaml.safe_dump(with_rule(rule)))
    assert protocol.gates.committee[0].stopping_rule.threshold_rate == 0.2


def test_the_rule_is_checked_against_the_reviewed_part_and_the_adverse_event_form():
    data = with_rule({"kind": "count_at_least", "events": 1, "of_participants": 8,
                      "event": {"description": "x", "related": ["likely"], "minimum_grade": 3}})
    form = next(f for f in data["forms"] if f["kind"] == "adverse_event")
    form["items"] = [i for i in form["items"] if i.get("cdisc", {}).get("variable") != "AETOXGR"]
    found = problems(data)
    here = "gates.committee[0].stopping_rule"
    assert "enrols 6" in found[f"{here}.of_participants"]
    assert "unknown relation code 'likely'" in found[f"{here}.event.related[0]"]
    assert "AETOXGR" in found[f"{here}.event.minimum_grade"]


def test_a_rule_that_could_never_stop_is_refused():
    rule = {"kind": "count_at_least", "events": 7, "of_participants": 6, "event": EVENT}
    assert any("could never stop" in message for message in problems(with_rule(rule)).values())


def test_the_reference_protocol_s_rule_has_its_interpretation(reference_protocol):
    governing = [i for i in reference_protocol.interpretations
                 if "gates.committee[0].stopping_rule" in i.governs]
    assert [i.kind for i in governing] == ["assumption"]


def test_without_a_rule_a_protocol_keeps_its_version():
    data = reference_data()
    del data["gates"]["committee"][0]["stopping_rule"]
    data["interpretations"] = [i for i in data["interpretations"]
                               if i["id"] != "smc-stopping-rule"]
    without = parse_protocol(yaml.safe_dump(data))
    data["gates"]["committee"][0]["stopping_rule"] = None  # the default spelled out
    assert protocol_version(parse_protocol(yaml.safe_dump(data))) == protocol_version(without)
