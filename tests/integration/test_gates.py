"""The protocol's gates, enforced by the server, on every protocol that has them: sequential
dosing, the committee's gate before a randomized part, pauses, the enrolment cap, and the
order of a participant's doses."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.capture_support import adverse_event, ae_item
from tests.integration.committee_support import open_report
from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import (
    DAY,
    START,
    eligible_and_consented,
    give,
    join,
    kit_of,
    last_dose_day,
    list_live,
    reviewed_part_done,
    run_part,
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
from trialkit.web.trial.actions.randomization import do_randomize_participant
from trialkit.web.trial.models import Administration, Deviation, RandomizationSlot


@pytest.fixture
def sequential(trial):
    return trial.protocol.gates.sequential_enrolment[0]


@pytest.fixture
def committee(trial):
    return trial.protocol.gates.committee[0]


def _two_enrolled(part: str, team, clock):
    first = eligible_and_consented("S-01", team, clock, START)
    join(first, part, team)
    second = eligible_and_consented("S-02", team, clock, START)
    join(second, part, team)
    return first, second


def _previous_done(first, gate, team, clock) -> dt.date:
    """The first participant receives what the rule waits for; the day of the last one."""
    trial = team.trial
    for administration in gate.previous_must_have_received:
        if administration != gate.gated_administration:
            give(first, administration, START + trial.day_of(administration) * DAY,
                 team.performing(administration), clock)
    return START + max(trial.day_of(a) for a in gate.previous_must_have_received) * DAY


@pytest.mark.protocols("sequential")
def test_the_next_participant_of_a_sequential_part_waits_for_the_previous_one_to_clear(
        trial, team, clock, sequential):
    first, second = _two_enrolled(sequential.part, team, clock)
    gated = sequential.gated_administration
    give(first, gated, START, team.performing(gated), clock)
    with pytest.raises(StateConflictError, match="has not yet received"):
        give(second, gated, START + DAY, team.performing(gated), clock)
    cleared = _previous_done(first, sequential, team, clock)
    with pytest.raises(StateConflictError, match="earliest date is"):
        give(second, gated, cleared + (sequential.wait_days - 1) * DAY, team.performing(gated),
             clock)
    give(second, gated, cleared + sequential.wait_days * DAY, team.performing(gated), clock)
    assert not Deviation.objects.exists()


@pytest.mark.protocols("sequential")
def test_an_open_serious_adverse_event_of_the_previous_participant_holds_the_next_dose(
        trial, team, clock, sequential):
    assert sequential.no_open_serious_adverse_event
    first, second = _two_enrolled(sequential.part, team, clock)
    gated = sequential.gated_administration
    give(first, gated, START, team.performing(gated), clock)
    cleared = _previous_done(first, sequential, team, clock)
    clock.set(cleared + 2 * DAY)
    form = trial.adverse_event_form
    reporter = team.entering(form.id)
    sae = adverse_event(trial, clock.today, serious=True, term="Meningitis")
    version = do_save_form(first, form.id, "", sae, actor=reporter)
    with pytest.raises(StateConflictError, match="open serious adverse event"):
        give(second, gated, cleared + sequential.wait_days * DAY, team.performing(gated), clock)
    resolved_on = cleared + (sequential.wait_days + 5) * DAY
    clock.set(resolved_on)
    do_save_form(first, form.id, "", {**sae, ae_item(trial, "AEENDTC"): clock.today.isoformat()},
                 actor=reporter, reason="resolved", repeat_index=version.record.repeat_index)
    give(second, gated, resolved_on, team.performing(gated), clock)


@pytest.mark.protocols("sequential")
def test_a_dose_given_against_the_gate_is_recorded_only_by_an_investigator_as_a_deviation(
        trial, team, clock, sequential):
    first, second = _two_enrolled(sequential.part, team, clock)
    gated = sequential.gated_administration
    give(first, gated, START, team.performing(gated), clock)
    recorder = next(r.id for r in trial.roles("record_administration") if "sign" not in r.can)
    with pytest.raises(NotPermittedError) as refused:
        give(second, gated, START + DAY, team.actor(recorder), clock,
             override_reason="given before the check")
    assert refused.value.field == "override_reason"
    signer = trial.role("record_administration", "sign")
    give(second, gated, START + DAY, team.actor(signer), clock,
         override_reason="Dosed by mistake before the gate was checked")
    deviation = Deviation.objects.get()
    assert deviation.kind == "dose_against_gate" and deviation.administration_id == gated
    assert "has not yet received" in deviation.description
    assert Administration.objects.get(participant=second).override_reason.startswith("Dosed")


@pytest.mark.protocols("several_administrations")
def test_a_later_dose_can_not_precede_day_zero_nor_any_dose_be_given_twice(trial, team, clock):
    part = trial.entry_part.id
    if trial.entry_part.allocation == "RANDOMIZED":
        list_live(team, clock)
    first = eligible_and_consented("S-01", team, clock, START)
    join(first, part, team)
    day_zero, later = trial.administrations()[0].id, trial.administrations()[1].id
    kit = kit_of(first)
    with pytest.raises(StateConflictError, match="Day-0"):
        give(first, later, START, team.performing(later), clock, kit_code=kit)
    give(first, day_zero, START, team.performing(day_zero), clock, kit_code=kit)
    with pytest.raises(StateConflictError, match="already recorded"):
        give(first, day_zero, START + DAY, team.performing(day_zero), clock, kit_code=kit)
    with pytest.raises(InvalidInputError) as future:
        do_record_administration(first, later, clock.moment + 2 * DAY, kit,
                                 actor=team.performing(later))
    assert future.value.field == "given_at"


@pytest.mark.protocols("sequential")
def test_a_participant_beyond_the_sequential_parts_target_is_refused_by_the_cap(
        trial, team, clock, sequential):
    done = run_part(sequential.part, team, clock)
    last = max(sequential.previous_must_have_received, key=trial.day_of)
    extra = eligible_and_consented("S-99", team, clock, last_dose_day(done, last) + 10 * DAY)
    with pytest.raises(StateConflictError, match="would exceed the target"):
        do_enrol_participant(extra, sequential.part, actor=team.coordinator)


@pytest.mark.protocols("committee_gate")
def test_a_pause_blocks_enrolment_and_dosing_until_the_chair_resumes(trial, team, clock,
                                                                     committee):
    assert committee.can_pause_any_time and committee.pause_decisions
    part = committee.reviews_part
    first, _ = _two_enrolled(part, team, clock)
    third = eligible_and_consented("S-03", team, clock, START)
    clock.set(START - DAY)
    chair = team.actor(committee.signer_role)
    do_sign_safety_decision(committee.pause_decisions[0], "Unexpected SAE under review",
                            PASSWORD, actor=chair,
                            report_sha256=open_report(team.actor, trial.protocol))
    gated = trial.administrations()[0].id
    with pytest.raises(StateConflictError, match="paused"):
        do_enrol_participant(third, part, actor=team.coordinator)
    with pytest.raises(StateConflictError, match="paused"):
        give(first, gated, START, team.performing(gated), clock)
    clock.set(START + DAY)
    do_sign_safety_decision(committee.opening_decisions[0], "Reviewed: not related", PASSWORD,
                            actor=chair, report_sha256=open_report(team.actor, trial.protocol))
    do_enrol_participant(third, part, actor=team.coordinator)
    give(first, gated, START + DAY, team.performing(gated), clock)


@pytest.mark.protocols("committee_gate")
def test_only_the_signer_signs_committee_decisions_with_the_password(trial, team, committee):
    member = next(r.id for r in trial.roles("review_safety") if "decide_safety" not in r.can)
    chair = team.actor(committee.signer_role)
    report = open_report(team.actor, trial.protocol)
    with pytest.raises(NotPermittedError):
        do_sign_safety_decision(committee.decisions[0], "x", PASSWORD, actor=team.actor(member),
                                report_sha256=report)
    with pytest.raises(NotPermittedError) as wrong:
        do_sign_safety_decision(committee.decisions[0], "x", "not my password", actor=chair,
                                report_sha256=report)
    assert wrong.value.field == "password"
    with pytest.raises(InvalidInputError) as unknown:
        do_sign_safety_decision("carry_on", "x", PASSWORD, actor=chair, report_sha256=report)
    assert unknown.value.field == "decision"


@pytest.mark.protocols("committee_gate")
def test_the_gated_part_waits_for_the_end_of_the_review_and_an_opening_decision_after_it(
        trial, team, clock, committee):
    opened = reviewed_part_done(team, clock)
    review_end = opened.review_end
    early = eligible_and_consented("R-001", team, clock, review_end - 2 * DAY)
    chair = team.actor(committee.signer_role)
    clock.set(review_end - 8 * DAY)
    do_sign_safety_decision(committee.opening_decisions[0], "Interim look", PASSWORD,
                            actor=chair, report_sha256=open_report(team.actor, trial.protocol))
    clock.set(review_end - DAY)
    with pytest.raises(StateConflictError, match="the last reaches it on"):
        do_randomize_participant(early, actor=team.coordinator)
    clock.set(review_end)
    with pytest.raises(StateConflictError, match="signed on or after the end of the review"):
        do_randomize_participant(early, actor=team.coordinator)
    do_sign_safety_decision(committee.opening_decisions[0], "Every participant reviewed",
                            PASSWORD, actor=chair,
                            report_sha256=open_report(team.actor, trial.protocol))
    allocation = do_randomize_participant(early, actor=team.coordinator)
    assert allocation.new and RandomizationSlot.objects.filter(participant=early).exists()
