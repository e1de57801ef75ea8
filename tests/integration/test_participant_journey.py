"""The participant's way through the trial, from screening number to the end of follow-up."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import (
    START,
    Clock,
    eligible_and_consented,
    give,
    judge_history_criteria,
    last_it_day,
    make_team,
    open_phase2a,
    register_and_screen,
)
from trialkit.web.trial.access import randomization_number_and_kit
from trialkit.web.trial.actions.base import InvalidInputError, NotFoundError, StateConflictError
from trialkit.web.trial.actions.dosing import do_record_missed_visit, do_record_visit
from trialkit.web.trial.actions.participants import (
    do_end_participation,
    do_enrol_participant,
    do_judge_criteria,
    do_record_consent,
    do_record_screen_failure,
    do_register_candidate,
)
from trialkit.web.trial.actions.randomization import do_randomize_participant
from trialkit.web.trial.models import (
    AuditEvent,
    Deviation,
    Participant,
    ScheduledVisit,
    Site,
)
from trialkit.web.trial.queries_schedule import deviations_of, visit_schedule

HISTORY_CRITERIA = {"I6", "E5", "E6", "E8", "E9", "E10", "E11"}


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def team(make_actor):
    return make_team(make_actor)


def test_the_forms_decide_what_they_can_and_leave_the_history_criteria_to_the_investigator(
        team, clock):
    participant = register_and_screen("S-001", team, clock, START)
    eligibility = participant.eligibility
    statuses = {c["id"]: c["status"] for c in eligibility["result"]["criteria"]}
    assert eligibility["verdict"] == "incomplete"
    assert set(eligibility["undecided"]) == HISTORY_CRITERIA
    assert statuses["I2"] == statuses["I4"] == statuses["I5"] == "met"
    assert statuses["E2"] == statuses["E3"] == "not_met"
    judged = judge_history_criteria(participant, team)
    assert judged["verdict"] == "eligible" and judged["undecided"] == []
    assert judged["judgements"]["I6"]["by"] == team.investigator.name
    event = AuditEvent.objects.filter(action="judge_criteria").get()
    assert event.new["verdict"] == "eligible" and event.reason.startswith("Referral letters")


def test_a_judgement_can_not_overrule_what_the_data_decided(team, clock):
    participant = register_and_screen("S-001", team, clock, START)
    with pytest.raises(InvalidInputError) as refused:
        do_judge_criteria(participant, {"E2": "met"}, "second opinion", PASSWORD,
                          actor=team.investigator)
    assert refused.value.field == "judgements.E2"
    with pytest.raises(Exception, match="password"):
        do_judge_criteria(participant, {"I6": "met"}, "reviewed", "wrong", actor=team.investigator)
    participant.refresh_from_db()
    assert participant.eligibility["judgements"] == {}


def test_a_screen_failure_is_kept_with_its_failing_criteria(team, clock):
    participant = register_and_screen("S-002", team, clock, START,
                                      LAB={"fasting_glucose": 310.0})
    assert participant.eligibility["verdict"] == "ineligible"
    assert participant.eligibility["failing"] == ["E2"]
    do_record_screen_failure(participant, actor=team.coordinator)
    participant.refresh_from_db()
    assert participant.status == "screen_failed"
    assert "E2" in participant.end_reason and participant.eligibility["failing"] == ["E2"]
    with pytest.raises(StateConflictError):
        do_record_consent(participant, clock.today, "ICF 2.0", "Dr Lin", actor=team.coordinator)


def test_a_screening_number_is_unique_and_a_site_outside_the_actors_sites_is_refused(
        team, clock, make_actor):
    do_register_candidate("S-010", "CMUH", actor=team.coordinator)
    with pytest.raises(StateConflictError):
        do_register_candidate("S-010", "CMUH", actor=team.coordinator)
    with pytest.raises(InvalidInputError) as refused:
        do_register_candidate("S-011", "ELSEWHERE", actor=team.coordinator)
    assert refused.value.field == "site"
    with pytest.raises(InvalidInputError):
        do_register_candidate("  ", "CMUH", actor=team.coordinator)
    assert Participant.objects.count() == 1


def test_enrolment_needs_consent_and_a_confirmed_eligibility(team, clock):
    participant = register_and_screen("S-003", team, clock, START)
    with pytest.raises(StateConflictError, match="consented"):
        do_enrol_participant(participant, "phase1", actor=team.coordinator)
    do_record_consent(participant, clock.today, "ICF 2.0", "Dr Lin", actor=team.coordinator)
    with pytest.raises(StateConflictError, match="not confirmed eligible"):
        do_enrol_participant(participant, "phase1", actor=team.coordinator)
    judge_history_criteria(participant, team)
    do_enrol_participant(participant, "phase1", actor=team.coordinator)
    participant.refresh_from_db()
    assert (participant.status, participant.part, participant.sequence_in_part) == (
        "enrolled", "phase1", 1)
    with pytest.raises(InvalidInputError, match="randomization"):
        do_enrol_participant(eligible_and_consented("S-004", team, clock, START), "phase2a",
                             actor=team.coordinator)


def test_enrolment_creates_the_schedule_which_the_day_zero_dose_anchors(team, clock):
    participant = eligible_and_consented("S-005", team, clock, START)
    do_enrol_participant(participant, "phase1", actor=team.coordinator)
    d28 = ScheduledVisit.objects.get(participant=participant, visit_id="D28")
    assert (d28.target_date, d28.earliest, d28.latest) == (
        START + dt.timedelta(days=28), START + dt.timedelta(days=25),
        START + dt.timedelta(days=31))
    give(participant, "iv", START + dt.timedelta(days=2), team.investigator, clock)
    d28.refresh_from_db()
    assert d28.target_date == START + dt.timedelta(days=30)
    rows = {r.visit_id: r for r in visit_schedule(participant, team.coordinator,
                                                  on=START + dt.timedelta(days=30))}
    assert rows["SCR"].status == "done" and rows["D0"].status == "done"
    assert rows["D28"].status == "due" and rows["W4PIT"].status == "upcoming"
    later = visit_schedule(participant, team.coordinator, on=START + dt.timedelta(days=33))
    assert {r.visit_id: r.status for r in later}["D28"] == "overdue"


def test_an_out_of_window_visit_is_done_and_recorded_as_a_deviation(team, clock):
    participant = eligible_and_consented("S-006", team, clock, START)
    do_enrol_participant(participant, "phase1", actor=team.coordinator)
    give(participant, "iv", START, team.investigator, clock)
    give(participant, "it", START + dt.timedelta(days=33), team.proceduralist, clock)
    clock.set(START + dt.timedelta(days=70))
    do_record_visit(participant, "W4PIT", START + dt.timedelta(days=66), actor=team.coordinator)
    kinds = [d.kind for d in deviations_of(participant, team.coordinator)]
    assert kinds == ["dose_out_of_window", "visit_out_of_window"]
    assert "2 day(s) after the window closed" in Deviation.objects.get(
        kind="dose_out_of_window").description
    with pytest.raises(StateConflictError, match="already recorded"):
        do_record_visit(participant, "W4PIT", clock.today, actor=team.coordinator)


def test_a_visit_is_missed_only_once_its_window_has_closed(team, clock):
    participant = eligible_and_consented("S-007", team, clock, START)
    do_enrol_participant(participant, "phase1", actor=team.coordinator)
    give(participant, "iv", START, team.investigator, clock)
    clock.set(START + dt.timedelta(days=31))
    with pytest.raises(StateConflictError, match="window has closed"):
        do_record_missed_visit(participant, "D28", "refused", actor=team.coordinator)
    clock.set(START + dt.timedelta(days=32))
    assert {r.visit_id: r.status for r in visit_schedule(participant, team.coordinator)}[
        "D28"] == "missed"
    do_record_missed_visit(participant, "D28", "Participant in hospital", actor=team.coordinator)
    assert Deviation.objects.get(participant=participant).kind == "visit_missed"


def test_participation_ends_with_a_reason_and_completion_needs_every_visit_recorded(
        team, clock):
    participant = eligible_and_consented("S-008", team, clock, START)
    do_enrol_participant(participant, "phase1", actor=team.coordinator)
    give(participant, "iv", START, team.investigator, clock)
    with pytest.raises(StateConflictError, match="every scheduled visit"):
        do_end_participation(participant, "completed", clock.today, "", actor=team.coordinator)
    with pytest.raises(InvalidInputError) as refused:
        do_end_participation(participant, "withdrawn", clock.today, " ", actor=team.coordinator)
    assert refused.value.field == "reason"
    with pytest.raises(InvalidInputError):
        do_end_participation(participant, "vanished", clock.today, "x", actor=team.coordinator)
    do_end_participation(participant, "lost_to_follow_up", clock.today,
                         "No answer to three calls and a letter", actor=team.coordinator)
    participant.refresh_from_db()
    assert participant.status == "lost_to_follow_up" and participant.ended_on == clock.today
    with pytest.raises(StateConflictError):
        do_end_participation(participant, "died", clock.today, "x", actor=team.coordinator)


def test_another_sites_participant_is_not_found(team, clock, make_actor):
    participant = register_and_screen("S-009", team, clock, START)
    Site.objects.create(code="NTUH", name="Second site", country="Taiwan", status="RECRUITING")
    elsewhere = make_actor("coordinator", site="NTUH")
    with pytest.raises(NotFoundError):
        do_record_consent(participant, clock.today, "ICF 2.0", "x", actor=elsewhere)
    with pytest.raises(NotFoundError):
        visit_schedule(participant, elsewhere)


def test_the_whole_journey_from_phase1_to_a_completed_phase2a_participant(team, clock):
    phase1 = open_phase2a(team, clock)
    assert [p.sequence_in_part for p in Participant.objects.filter(part="phase1").order_by(
        "sequence_in_part")] == [1, 2, 3, 4, 5, 6]
    assert all(p.administrations.count() == 2 for p in phase1)
    decided = last_it_day(phase1) + dt.timedelta(days=28)
    participant = eligible_and_consented("P2-001", team, clock, decided + dt.timedelta(days=7))
    first = do_randomize_participant(participant, actor=team.coordinator)
    again = do_randomize_participant(participant, actor=team.coordinator)
    assert first.new and not again.new
    assert (again.randomization_number, again.kit_code) == (
        first.randomization_number, first.kit_code)
    assert randomization_number_and_kit(participant, team.coordinator) == (
        first.randomization_number, first.kit_code)
    assert AuditEvent.objects.filter(action="randomize_participant").count() == 1
    day0 = decided + dt.timedelta(days=7)
    with pytest.raises(InvalidInputError) as wrong_kit:
        give(participant, "iv", day0, team.investigator, clock, kit_code="UMSC-0000-0000-0")
    assert wrong_kit.value.field == "kit_code"
    give(participant, "iv", day0, team.investigator, clock, kit_code=first.kit_code)
    give(participant, "it", day0 + dt.timedelta(days=28), team.proceduralist, clock,
         kit_code=first.kit_code)
    for visit in ScheduledVisit.objects.filter(participant=participant, done_on__isnull=True):
        clock.set(visit.target_date)
        do_record_visit(participant, visit.visit_id, visit.target_date, actor=team.coordinator)
    do_end_participation(participant, "completed", clock.today, "", actor=team.coordinator)
    participant.refresh_from_db()
    assert participant.status == "completed" and not participant.deviations.exists()
