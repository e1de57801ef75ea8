"""The stored evaluation's verdict is computed in trialkit.core: judgements count only for
criteria the engine left unknown, and the JSON stored before the type existed reads back."""

from __future__ import annotations

import datetime as dt

import pytest

from trialkit.core.eligibility.evaluation import Evaluation, Judgement

RESULT = {"criteria": [
    {"id": "I1", "kind": "inclusion", "status": "met", "explanation": "age 40"},
    {"id": "I2", "kind": "inclusion", "status": "unknown", "explanation": "no record"},
    {"id": "E1", "kind": "exclusion", "status": "unknown", "explanation": "no record"},
], "missing": [], "verdict": "incomplete"}
DAY = dt.date(2027, 1, 4)


def _evaluation(**judgements: str) -> Evaluation:
    return Evaluation.make(
        protocol_version="v1", index_date=DAY, evaluated_on=DAY, evaluated_by="coordinator",
        result=RESULT, judgements={cid: Judgement(status, "investigator", DAY, "reviewed")
                                   for cid, status in judgements.items()})


def test_unknown_criteria_leave_the_verdict_incomplete_until_judged():
    evaluation = _evaluation()
    assert (evaluation.verdict, evaluation.undecided) == ("incomplete", ("I2", "E1"))
    judged = evaluation.judged({"I2": Judgement("met", "inv", DAY, "letters"),
                                "E1": Judgement("not_met", "inv", DAY, "pharmacy")})
    assert (judged.verdict, judged.undecided, judged.failing) == ("eligible", (), ())


def test_a_judged_exclusion_that_is_met_makes_the_participant_ineligible():
    judged = _evaluation(I2="met", E1="met")
    assert (judged.verdict, judged.failing) == ("ineligible", ("E1",))


def test_a_judgement_of_a_criterion_the_engine_decided_does_not_count():
    evaluation = _evaluation(I1="not_met")
    assert evaluation.judgements == {}
    assert evaluation.verdict == "incomplete"


def test_the_stored_json_round_trips_and_its_verdict_is_recomputed_not_trusted():
    evaluation = _evaluation(I2="met")
    stored = evaluation.to_json()
    assert Evaluation.from_json(stored) == evaluation
    tampered = {**stored, "verdict": "eligible", "undecided": []}
    assert Evaluation.from_json(tampered).verdict == "incomplete"


def test_a_judgement_is_met_or_not_met():
    with pytest.raises(ValueError, match="met"):
        Judgement.from_json({"status": "maybe", "on": "2027-01-04"})
