"""The participant's way through the trial on every protocol, from screening number to the end
of follow-up: what the forms decide, what the investigator judges, joining the first part,
the schedule the Day-0 dose anchors, deviations, and completion."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.integration.conftest import PASSWORD
from tests.integration.journey_support import (
    DAY,
    START,
    eligible_and_consented,
    give,
    join,
    judge_history_criteria,
    kit_of,
    list_live,
    open_randomized_part,
    register_and_screen,
)
from tests.integration.pages.support import signed_in, text_of
from trialkit.web.trial.access import randomization_number_and_kit
from trialkit.web.trial.actions.base import (
    InvalidInputError,
    NotFoundError,
    StateConflictError,
)
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
from trialkit.web.trial.actions.signing import do_sign_casebook
from trialkit.web.trial.models import (
    AuditEvent,
    Deviation,
    Participant,
    ScheduledVisit,
    Site,
)
from trialkit.web.trial.queries_schedule import deviations_of, visit_schedule
from trialkit.web.trial.signatures import unsigned_in_casebook, worklist

pytestmark = pytest.mark.protocols()


@pytest.fixture
def entry(trial, team, clock):
    """The part the first participants join, ready to take them (its list live if it is
    randomized)."""
    part = trial.entry_part
    if part.allocation == "RANDOMIZED":
        list_live(team, clock)
    return part.id


def _statuses(participant) -> dict[str, str]:
    return {c["id"]: c["status"] for c in participant.eligibility["result"]["criteria"]}


def test_the_forms_decide_what_they_can_and_leave_the_rest_to_the_investigator(
        trial, team, clock):
    participant = register_and_screen("S-001", team, clock, START)
    eligibility = participant.eligibility
    expected = trial.data["undecided"]
    assert eligibility["verdict"] == ("incomplete" if expected else "eligible")
    assert sorted(eligibility["undecided"]) == sorted(expected)
    kinds = {c["id"]: c["kind"] for c in eligibility["result"]["criteria"]}
    decided = {cid: status for cid, status in _statuses(participant).items()
               if status != "unknown"}
    assert decided, "the screening forms decide some criteria"
    assert all(status == ("met" if kinds[cid] == "inclusion" else "not_met")
               for cid, status in decided.items()), decided
    judged = judge_history_criteria(participant, team)
    assert judged.verdict == "eligible" and judged.undecided == ()
    if expected:
        assert judged.judgements[expected[0]].by == team.investigator.name
        event = AuditEvent.objects.filter(action="judge_criteria").get()
        assert event.new["verdict"] == "eligible"
        assert event.reason.startswith("Referral letters")


def test_a_judgement_can_not_overrule_what_the_data_decided(trial, team, clock):
    participant = register_and_screen("S-001", team, clock, START)
    decided = next(cid for cid, status in _statuses(participant).items() if status != "unknown")
    with pytest.raises(InvalidInputError) as refused:
        do_judge_criteria(participant, {decided: "met"}, "second opinion", PASSWORD,
                          actor=team.investigator)
    assert refused.value.field == f"judgements.{decided}"
    with pytest.raises(Exception, match="password"):
        do_judge_criteria(participant, {decided: "met"}, "reviewed", "wrong",
                          actor=team.investigator)
    participant.refresh_from_db()
    assert participant.eligibility["judgements"] == {}


def test_a_screen_failure_is_kept_with_its_failing_criteria(trial, team, clock):
    ineligible = trial.data["ineligible"]
    participant = register_and_screen("S-002", team, clock, START, ineligible["change"])
    assert participant.eligibility["verdict"] == "ineligible"
    assert participant.eligibility["failing"] == ineligible["failing"]
    do_record_screen_failure(participant, actor=team.coordinator)
    participant.refresh_from_db()
    assert participant.status == "screen_failed"
    assert ineligible["failing"][0] in participant.end_reason
    with pytest.raises(StateConflictError):
        do_record_consent(participant, clock.today, "ICF 2.0", "Dr Lin", actor=team.coordinator)


def test_a_screening_number_is_unique_and_a_site_outside_the_actors_sites_is_refused(
        trial, team, clock):
    do_register_candidate("S-010", trial.site, actor=team.coordinator)
    with pytest.raises(StateConflictError):
        do_register_candidate("S-010", trial.site, actor=team.coordinator)
    with pytest.raises(InvalidInputError) as refused:
        do_register_candidate("S-011", "ELSEWHERE", actor=team.coordinator)
    assert refused.value.field == "site"
    with pytest.raises(InvalidInputError):
        do_register_candidate("  ", trial.site, actor=team.coordinator)
    assert Participant.objects.count() == 1


def test_joining_the_first_part_needs_consent_and_a_confirmed_eligibility(
        trial, team, clock, entry):
    clock.set(START - 7 * DAY)
    unconsented = do_register_candidate("S-005", trial.site, actor=team.coordinator)
    with pytest.raises(StateConflictError,
                       match=r"informed consent before (enrolling|randomizing)"):
        join(unconsented, entry, team)
    participant = register_and_screen("S-003", team, clock, START)
    if participant.eligibility["undecided"]:
        with pytest.raises(StateConflictError, match="not confirmed eligible"):
            join(participant, entry, team)
        judge_history_criteria(participant, team)
    join(participant, entry, team)
    participant.refresh_from_db()
    assert (participant.status, participant.part, participant.sequence_in_part) == (
        "enrolled", entry, 1)


@pytest.mark.protocols("randomized")
def test_a_randomized_part_is_joined_by_randomization_only(trial, team, clock):
    list_live(team, clock)
    participant = eligible_and_consented("S-004", team, clock, START)
    with pytest.raises(InvalidInputError, match="randomization"):
        do_enrol_participant(participant, trial.randomized_part.id, actor=team.coordinator)


def _windowed_visit(trial):
    """The first visit after Day 0 with a window and no dose: one a site records."""
    dosed = {a.visit for a in trial.protocol.design.administrations}
    return next(v for v in trial.scheduled_after_day_zero()
                if v.window is not None and v.window.before and v.id not in dosed)


def _enrolled(number, trial, team, clock, entry):
    participant = eligible_and_consented(number, team, clock, START)
    join(participant, entry, team)
    participant.refresh_from_db()
    return participant


def _day_zero(trial) -> str:
    return trial.protocol.design.day_zero


def _kit(participant) -> str:
    return kit_of(participant)


def test_enrolment_creates_the_schedule_which_the_day_zero_dose_anchors(
        trial, team, clock, entry):
    participant = _enrolled("S-005", trial, team, clock, entry)
    visit = _windowed_visit(trial)
    planned = ScheduledVisit.objects.get(participant=participant, visit_id=visit.id)
    assert (planned.target_date, planned.earliest, planned.latest) == (
        START + visit.day * DAY, START + (visit.day - visit.window.before) * DAY,
        START + (visit.day + visit.window.after) * DAY)
    give(participant, _day_zero(trial), START + 2 * DAY, team.performing(_day_zero(trial)),
         clock, kit_code=_kit(participant))
    planned.refresh_from_db()
    target = START + (visit.day + 2) * DAY
    assert planned.target_date == target
    rows = {r.visit_id: r for r in visit_schedule(participant, team.coordinator, on=target)}
    assert rows[trial.screening_visit.id].status == "done"
    assert rows[trial.day_zero_visit.id].status == "done"
    assert rows[visit.id].status == "due"
    later = [v for v in trial.scheduled_after_day_zero() if v.day > visit.day]
    assert later and rows[later[0].id].status == "upcoming"
    last_day = target + visit.window.after * DAY
    after = visit_schedule(participant, team.coordinator, on=last_day)
    assert {r.visit_id: r.status for r in after}[visit.id] == "overdue"


def test_an_out_of_window_visit_is_done_and_recorded_as_a_deviation(trial, team, clock, entry):
    participant = _enrolled("S-006", trial, team, clock, entry)
    give(participant, _day_zero(trial), START, team.performing(_day_zero(trial)), clock,
         kit_code=_kit(participant))
    visit = _windowed_visit(trial)
    late = START + (visit.day + visit.window.after + 2) * DAY
    clock.set(late + 4 * DAY)
    do_record_visit(participant, visit.id, late, actor=team.coordinator)
    kinds = [d.kind for d in deviations_of(participant, team.coordinator)]
    assert kinds == ["visit_out_of_window"]
    assert "2 day(s) after the window closed" in Deviation.objects.get().description
    # People read the kind in words (the page showed the code "visit_out_of_window").
    client = signed_in(team.coordinator.name, PASSWORD)
    for url in (reverse("pages:participant", args=[participant.pk]), reverse("pages:dashboard")):
        page = text_of(client.get(url).content)
        assert "visit outside its window" in page and "visit_out_of_window" not in page, url
    with pytest.raises(StateConflictError, match="already recorded"):
        do_record_visit(participant, visit.id, clock.today, actor=team.coordinator)


@pytest.mark.protocols("several_administrations")
def test_a_dose_given_after_its_window_is_recorded_with_a_deviation(trial, team, clock, entry):
    participant = _enrolled("S-012", trial, team, clock, entry)
    day_zero, later = trial.administrations()[0], trial.administrations()[1]
    give(participant, day_zero.id, START, team.performing(day_zero.id), clock,
         kit_code=_kit(participant))
    visit = trial.visit(later.visit)
    late = START + (visit.day + visit.window.after + 2) * DAY
    for moved in _visits_before(trial, visit.day, participant):
        clock.set(START + moved.day * DAY)
        do_record_visit(participant, moved.id, clock.today, actor=team.coordinator)
    give(participant, later.id, late, team.performing(later.id), clock,
         kit_code=_kit(participant))
    [deviation] = deviations_of(participant, team.coordinator)
    assert deviation.kind == "dose_out_of_window"
    assert "2 day(s) after the window closed" in deviation.description


def _visits_before(trial, day: int, participant):
    """Scheduled visits between Day 0 and ``day`` not yet done (a crossover's later period
    starts only after its earlier visits)."""
    dosed = {a.visit for a in trial.protocol.design.administrations}
    return [v for v in trial.scheduled_after_day_zero() if v.day < day and v.id not in dosed]


def test_a_visit_is_missed_only_once_its_window_has_closed(trial, team, clock, entry):
    participant = _enrolled("S-007", trial, team, clock, entry)
    give(participant, _day_zero(trial), START, team.performing(_day_zero(trial)), clock,
         kit_code=_kit(participant))
    visit = _windowed_visit(trial)
    closes = START + (visit.day + visit.window.after) * DAY
    clock.set(closes)
    with pytest.raises(StateConflictError, match="window has closed"):
        do_record_missed_visit(participant, visit.id, "refused", actor=team.coordinator)
    clock.set(closes + DAY)
    assert {r.visit_id: r.status for r in visit_schedule(participant, team.coordinator)}[
        visit.id] == "missed"
    do_record_missed_visit(participant, visit.id, "Participant in hospital",
                           actor=team.coordinator)
    assert Deviation.objects.get(participant=participant).kind == "visit_missed"


def test_participation_ends_with_a_reason_and_completion_needs_every_visit_recorded(
        trial, team, clock, entry):
    participant = _enrolled("S-008", trial, team, clock, entry)
    give(participant, _day_zero(trial), START, team.performing(_day_zero(trial)), clock,
         kit_code=_kit(participant))
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


def test_another_sites_participant_is_not_found(trial, team, clock, make_actor):
    participant = register_and_screen("S-009", team, clock, START)
    Site.objects.create(code="SECOND", name="Second site", country="Elsewhere",
                        status="RECRUITING")
    elsewhere = make_actor(trial.screener, site="SECOND")
    with pytest.raises(NotFoundError):
        do_record_consent(participant, clock.today, "ICF 2.0", "x", actor=elsewhere)
    with pytest.raises(NotFoundError):
        visit_schedule(participant, elsewhere)


@pytest.mark.protocols("randomized")
def test_the_whole_journey_to_a_randomized_participant_who_completes_follow_up(
        trial, team, clock):
    opened = open_randomized_part(team, clock)
    part = trial.randomized_part.id
    gate = trial.committee_gate_opening(part)
    if gate is not None:
        assert [p.sequence_in_part for p in Participant.objects.filter(
            part=gate.reviews_part).order_by("sequence_in_part")] == list(
            range(1, len(opened.earlier) + 1))
        assert all(p.administrations.count() == len(trial.administrations())
                   for p in opened.earlier)
    participant = eligible_and_consented("R-001", team, clock, opened.day0)
    first = do_randomize_participant(participant, actor=team.coordinator)
    again = do_randomize_participant(participant, actor=team.coordinator)
    assert first.new and not again.new
    assert (again.randomization_number, again.kit_code) == (
        first.randomization_number, first.kit_code)
    assert randomization_number_and_kit(participant, team.coordinator) == (
        first.randomization_number, first.kit_code)
    assert AuditEvent.objects.filter(action="randomize_participant").count() == 1
    day_zero = _day_zero(trial)
    with pytest.raises(InvalidInputError) as wrong_kit:
        give(participant, day_zero, opened.day0, team.performing(day_zero), clock,
             kit_code="NOT-THE-KIT")
    assert wrong_kit.value.field == "kit_code"
    _follow_up(participant, opened.day0, trial, team, clock)
    if unsigned_in_casebook(trial.protocol, participant):
        with pytest.raises(StateConflictError, match="still await their signature"):
            do_end_participation(participant, "completed", clock.today, "",
                                 actor=team.coordinator)
        for signer in trial.roles("sign"):  # each signs the forms it reads
            if worklist(team.actor(signer.id), participant).exists():
                do_sign_casebook(participant, None, PASSWORD, "Casebook reviewed",
                                 actor=team.actor(signer.id))
    do_end_participation(participant, "completed", clock.today, "", actor=team.coordinator)
    participant.refresh_from_db()
    assert participant.status == "completed" and participant.part == part
    assert not participant.deviations.exists()
    periods = trial.randomized_part.periods
    assert participant.period == (periods[-1].id if periods else "")


def _follow_up(participant, day0: dt.date, trial, team, clock) -> None:
    """Every dose and visit on its planned day, in the order of the schedule."""
    dosing = {a.visit: a for a in trial.administrations()}
    for visit in [v for v in trial.protocol.schedule.visits if v.day is not None
                  and v.day >= 0]:
        when = day0 + visit.day * DAY
        if visit.id in dosing:
            give(participant, dosing[visit.id].id, when, team.performing(dosing[visit.id].id),
                 clock, kit_code=_kit(participant))
        elif ScheduledVisit.objects.filter(participant=participant, visit_id=visit.id,
                                           done_on__isnull=True).exists():
            clock.set(when)
            do_record_visit(participant, visit.id, when, actor=team.coordinator)
