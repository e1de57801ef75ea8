"""Dates on a participant's timeline, and locks, as a tester found them broken: a dose and a
visit accepted for a locked participant; a dose given over the participant's own open serious
adverse event with no deviation; a month-12 visit marked done 307 days early; a consent date
overwritten with 0001-01-01."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.capture_support import adverse_event
from tests.integration.journey_support import (
    DAY,
    START,
    eligible_and_consented,
    give,
    join,
    kit_of,
    list_live,
)
from trialkit.web.trial.actions.base import InvalidInputError, StateConflictError
from trialkit.web.trial.actions.dosing import do_record_visit
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.participants import do_record_consent
from trialkit.web.trial.models import Deviation, Participant, Study

pytestmark = pytest.mark.protocols()


@pytest.fixture
def dosed(trial, team, clock):
    """A participant in the trial's first part with the Day-0 administration given."""
    part = trial.entry_part.id
    if trial.entry_part.allocation == "RANDOMIZED":
        list_live(team, clock)
    participant = eligible_and_consented("T-01", team, clock, START)
    join(participant, part, team)
    day_zero = trial.administrations()[0].id
    give(participant, day_zero, START, team.performing(day_zero), clock,
         kit_code=kit_of(participant))
    participant.refresh_from_db()
    return participant


def test_a_locked_participant_and_a_locked_study_take_no_dose_and_no_visit(
        trial, team, clock, dosed):
    visit = dosed.visits.filter(done_on__isnull=True).order_by("target_date").first()
    clock.set(visit.target_date)
    Participant.objects.filter(pk=dosed.pk).update(locked_at=clock.moment)
    with pytest.raises(StateConflictError, match="locked"):
        do_record_visit(dosed, visit.visit_id, visit.target_date, actor=team.coordinator)
    Participant.objects.filter(pk=dosed.pk).update(locked_at=None)
    Study.objects.filter(is_current=True).update(locked_at=clock.moment)
    with pytest.raises(StateConflictError, match="locked"):
        do_record_visit(dosed, visit.visit_id, visit.target_date, actor=team.coordinator)
    if len(trial.administrations()) > 1:
        later = trial.administrations()[1].id
        with pytest.raises(StateConflictError, match="locked"):
            give(dosed, later, START + trial.day_of(later) * DAY, team.performing(later), clock,
                 kit_code=kit_of(dosed))


def test_a_visit_cannot_be_dated_before_the_visit_planned_before_it(team, clock, dosed):
    visits = list(dosed.visits.filter(done_on__isnull=True).order_by("target_date"))
    last, before_last = visits[-1], visits[-2]
    clock.set(START + 2 * DAY)
    with pytest.raises(InvalidInputError, match=f"before visit {before_last.visit_id}") as early:
        do_record_visit(dosed, last.visit_id, clock.today, actor=team.coordinator)
    assert early.value.field == "done_on"
    # A visit a day before its window opens is early, not impossible: done, with a deviation.
    first = visits[0]
    clock.set(first.earliest)
    do_record_visit(dosed, first.visit_id, first.earliest - DAY, actor=team.coordinator)
    assert Deviation.objects.filter(participant=dosed, kind="visit_out_of_window").exists()


def test_a_visit_is_not_dated_in_the_future_nor_before_consent(team, clock, dosed):
    visit = dosed.visits.filter(done_on__isnull=True).order_by("target_date").first()
    clock.set(visit.target_date)
    for wrong, why in ((clock.today + DAY, "in the future"),
                       (dosed.consent_date - DAY, "before the participant's consent")):
        with pytest.raises(InvalidInputError, match=why):
            do_record_visit(dosed, visit.visit_id, wrong, actor=team.coordinator)


@pytest.mark.protocols("several_administrations")
def test_the_participants_own_open_serious_event_holds_their_next_dose(trial, team, clock,
                                                                        dosed):
    later = trial.administrations()[1].id
    due = START + trial.day_of(later) * DAY
    clock.set(due - 3 * DAY)
    form = trial.adverse_event_form
    do_save_form(dosed, form.id, "", adverse_event(trial, clock.today, serious=True,
                                                   term="Sepsis"),
                 actor=team.entering(form.id))
    with pytest.raises(StateConflictError, match="open serious adverse event"):
        give(dosed, later, due, team.performing(later), clock, kit_code=kit_of(dosed))
    administration = trial.protocol.administration(later)
    signers = [r for r in trial.roles("sign") if (
        "perform_procedure" in r.can and "procedure_type" in r.sees
        if administration.differs_by_arm else "record_administration" in r.can)]
    if not signers:
        return  # no role of this protocol may record this dose against a gate
    give(dosed, later, due, team.actor(signers[0].id), clock, kit_code=kit_of(dosed),
         override_reason="Investigator judged the event stable; dose given")
    deviation = Deviation.objects.get(participant=dosed, kind="dose_against_gate")
    assert "open serious adverse event" in deviation.description


def test_consent_dates_stay_plausible(trial, team, clock, study):
    participant = eligible_and_consented("T-02", team, clock, START)
    on_file = participant.consent_date
    for wrong in (dt.date(1, 1, 1), on_file - DAY, clock.today + DAY):
        with pytest.raises(InvalidInputError) as refused:
            do_record_consent(participant, wrong, "ICF 3.0", "Dr Lin", actor=team.coordinator)
        assert refused.value.field == "consent_date"
    participant.refresh_from_db()
    assert participant.consent_date == on_file
