"""The protocol's gates, enforced by the server: sequential dosing, the SMC gate, pauses, caps."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import (
    START,
    Clock,
    eligible_and_consented,
    give,
    last_it_day,
    make_team,
    run_phase1,
)
from trialkit.web.trial.actions.base import (
    InvalidInputError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.dosing import do_record_administration
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.oversight import do_sign_safety_decision
from trialkit.web.trial.actions.participants import do_enrol_participant
from trialkit.web.trial.actions.randomization import (
    do_generate_randomization_list,
    do_randomize_participant,
    do_release_randomization_list,
)
from trialkit.web.trial.models import Administration, Deviation, RandomizationSlot

DAY = dt.timedelta(days=1)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def team(make_actor):
    return make_team(make_actor)


def _two_enrolled(team, clock):
    first = eligible_and_consented("P1-01", team, clock, START)
    do_enrol_participant(first, "phase1", actor=team.coordinator)
    second = eligible_and_consented("P1-02", team, clock, START)
    do_enrol_participant(second, "phase1", actor=team.coordinator)
    return first, second


def test_the_next_phase1_participant_waits_for_the_previous_one_to_clear(team, clock):
    first, second = _two_enrolled(team, clock)
    give(first, "iv", START, team.investigator, clock)
    with pytest.raises(StateConflictError, match="has not yet received the intrathecal administration"):
        give(second, "iv", START + DAY, team.investigator, clock)
    it_day = START + 28 * DAY
    give(first, "it", it_day, team.proceduralist, clock)
    with pytest.raises(StateConflictError, match="earliest date is"):
        give(second, "iv", it_day + 6 * DAY, team.investigator, clock)
    give(second, "iv", it_day + 7 * DAY, team.investigator, clock)
    assert not Deviation.objects.exists()


def test_an_open_serious_adverse_event_of_the_previous_participant_holds_the_next_dose(
        team, clock):
    first, second = _two_enrolled(team, clock)
    give(first, "iv", START, team.investigator, clock)
    give(first, "it", START + 28 * DAY, team.proceduralist, clock)
    clock.set(START + 30 * DAY)
    sae = {"term": "Meningitis", "onset_date": clock.today.isoformat(), "ctcae_grade": 3,
           "serious": True, "sae_hospitalisation": True, "relation_iv": "unlikely",
           "relation_it": "possible", "relation_procedure": "possible",
           "relation_study": "possible", "action": "none", "outcome": "recovering"}
    version = do_save_form(first, "AE", "", sae, actor=team.investigator)
    with pytest.raises(StateConflictError, match="open serious adverse event"):
        give(second, "iv", START + 35 * DAY, team.investigator, clock)
    clock.set(START + 40 * DAY)
    do_save_form(first, "AE", "", {**sae, "end_date": clock.today.isoformat(),
                                   "outcome": "recovered"},
                 actor=team.investigator, reason="resolved", repeat_index=version.record.repeat_index)
    give(second, "iv", START + 40 * DAY, team.investigator, clock)


def test_a_dose_given_against_the_gate_is_recorded_only_by_an_investigator_as_a_deviation(
        team, clock):
    first, second = _two_enrolled(team, clock)
    give(first, "iv", START, team.investigator, clock)
    with pytest.raises(NotPermittedError) as refused:
        give(second, "iv", START + DAY, team.coordinator, clock,
             override_reason="given before the check")
    assert refused.value.field == "override_reason"
    give(second, "iv", START + DAY, team.investigator, clock,
         override_reason="Dosed by mistake before the gate was checked")
    deviation = Deviation.objects.get()
    assert deviation.kind == "dose_against_gate" and deviation.administration_id == "iv"
    assert "has not yet received the intrathecal administration" in deviation.description
    assert Administration.objects.get(participant=second).override_reason.startswith("Dosed")


def test_the_intrathecal_dose_can_not_precede_day_zero_nor_be_given_twice(team, clock):
    first, _ = _two_enrolled(team, clock)
    with pytest.raises(StateConflictError, match="Day-0"):
        give(first, "it", START, team.proceduralist, clock)
    give(first, "iv", START, team.investigator, clock)
    with pytest.raises(StateConflictError, match="already recorded"):
        give(first, "iv", START + DAY, team.investigator, clock)
    with pytest.raises(InvalidInputError) as future:
        do_record_administration(first, "it", clock.moment + dt.timedelta(days=2),
                                 actor=team.proceduralist)
    assert future.value.field == "given_at"


def test_the_seventh_phase1_participant_is_refused_by_the_cap(team, clock):
    phase1 = run_phase1(team, clock)
    seventh = eligible_and_consented("P1-07", team, clock, last_it_day(phase1) + 10 * DAY)
    with pytest.raises(StateConflictError, match="would exceed the target"):
        do_enrol_participant(seventh, "phase1", actor=team.coordinator)


def test_a_pause_blocks_enrolment_and_dosing_until_the_chair_resumes(team, clock):
    first, _ = _two_enrolled(team, clock)
    third = eligible_and_consented("P1-03", team, clock, START)
    clock.set(START - DAY)
    do_sign_safety_decision("pause", "Unexpected SAE under review", PASSWORD, actor=team.chair)
    with pytest.raises(StateConflictError, match="paused"):
        do_enrol_participant(third, "phase1", actor=team.coordinator)
    with pytest.raises(StateConflictError, match="paused"):
        give(first, "iv", START, team.investigator, clock)
    clock.set(START + DAY)
    do_sign_safety_decision("proceed", "Reviewed: not related", PASSWORD, actor=team.chair)
    do_enrol_participant(third, "phase1", actor=team.coordinator)
    give(first, "iv", START + DAY, team.investigator, clock)


def test_only_the_chair_signs_committee_decisions_with_the_password(team, clock, make_actor):
    member = make_actor("smc_member")
    with pytest.raises(NotPermittedError):
        do_sign_safety_decision("pause", "x", PASSWORD, actor=member)
    with pytest.raises(NotPermittedError) as wrong:
        do_sign_safety_decision("pause", "x", "not my password", actor=team.chair)
    assert wrong.value.field == "password"
    with pytest.raises(InvalidInputError) as unknown:
        do_sign_safety_decision("carry_on", "x", PASSWORD, actor=team.chair)
    assert unknown.value.field == "decision"


def test_phase2a_randomization_waits_for_day_56_of_the_last_phase1_participant_and_a_proceed(
        team, clock):
    clock.set(START - 30 * DAY)
    do_generate_randomization_list(7, actor=team.statistician)
    do_release_randomization_list(actor=team.statistician)
    phase1 = run_phase1(team, clock)
    review_end = last_it_day(phase1) + 28 * DAY
    early = eligible_and_consented("P2-001", team, clock, review_end - 2 * DAY)
    clock.set(review_end - 8 * DAY)
    do_sign_safety_decision("proceed", "Interim look", PASSWORD, actor=team.chair)
    clock.set(review_end - DAY)
    with pytest.raises(StateConflictError, match="the last reaches it on"):
        do_randomize_participant(early, actor=team.coordinator)
    clock.set(review_end)
    with pytest.raises(StateConflictError, match="signed on or after the end of the review"):
        do_randomize_participant(early, actor=team.coordinator)
    do_sign_safety_decision("proceed", "Every participant reviewed at day 56", PASSWORD,
                            actor=team.chair)
    allocation = do_randomize_participant(early, actor=team.coordinator)
    assert allocation.new and RandomizationSlot.objects.filter(participant=early).exists()
