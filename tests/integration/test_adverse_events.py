"""Adverse events: a serious one starts the 24-hour reporting clock and alerts safety roles."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.capture_support import adverse_event
from trialkit.web.trial.actions.adverse_events import do_report_serious_event
from trialkit.web.trial.actions.base import (
    InvalidInputError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.capture_queries import running_sae_clocks
from trialkit.web.trial.models import AuditEvent, Notification, Query, SeriousEventClock

SERIOUS = {"serious": True, "sae_hospitalisation": True, "ctcae_grade": 3}


def test_a_serious_event_starts_a_24_hour_clock_and_alerts_safety_and_sponsor(participant,
                                                                             coordinator):
    version = do_save_form(participant, "AE", "", adverse_event(**SERIOUS), actor=coordinator)
    clock = SeriousEventClock.objects.get(record=version.record)
    assert clock.aware_at == version.saved_at
    assert clock.deadline - clock.aware_at == dt.timedelta(hours=24)
    assert sorted(Notification.objects.values_list("recipient_role", flat=True)) == [
        "smc_chair", "smc_member", "sponsor_viewer", "unblinded_statistician"]
    note = Notification.objects.first()
    assert "S-001" in note.subject and "Post-lumbar puncture headache" in note.body
    assert AuditEvent.objects.filter(action="start_sae_clock").count() == 1
    assert not Query.objects.exists()  # serious with a criterion ticked is consistent


def test_a_non_serious_event_starts_no_clock_and_alerts_no_one(participant, coordinator):
    do_save_form(participant, "AE", "", adverse_event(), actor=coordinator)
    assert not SeriousEventClock.objects.exists() and not Notification.objects.exists()


def test_an_event_upgraded_to_serious_starts_its_clock_once(participant, coordinator):
    first = do_save_form(participant, "AE", "", adverse_event(), actor=coordinator)
    upgraded = do_save_form(participant, "AE", "", adverse_event(**SERIOUS), actor=coordinator,
                            reason="admitted overnight", repeat_index=1)
    do_save_form(participant, "AE", "", adverse_event(**SERIOUS, end_date="2025-03-04"),
                 actor=coordinator, reason="resolved", repeat_index=1)
    clock = SeriousEventClock.objects.get()
    assert clock.record_id == first.record_id and clock.aware_at == upgraded.saved_at
    assert Notification.objects.count() == 4


def test_each_event_is_its_own_entry_with_its_own_clock(participant, coordinator):
    do_save_form(participant, "AE", "", adverse_event(**SERIOUS), actor=coordinator)
    do_save_form(participant, "AE", "", adverse_event(**SERIOUS, term="Meningitis"),
                 actor=coordinator)
    assert SeriousEventClock.objects.count() == 2


def test_serious_without_a_criterion_saves_starts_the_clock_and_queries_the_criteria(
        participant, coordinator):
    version = do_save_form(participant, "AE", "", adverse_event(serious=True),
                           actor=coordinator)
    assert SeriousEventClock.objects.filter(record=version.record).exists()
    assert Query.objects.get().item_id == "serious"


def test_running_clocks_show_time_left_and_overdue_and_reporting_stops_them(participant,
                                                                            coordinator):
    version = do_save_form(participant, "AE", "", adverse_event(**SERIOUS), actor=coordinator)
    aware = version.saved_at
    [early] = running_sae_clocks(actor=coordinator, now=aware + dt.timedelta(hours=20))
    assert early.time_left == dt.timedelta(hours=4) and not early.overdue
    assert early.still_serious and early.term == "Post-lumbar puncture headache"
    [late] = running_sae_clocks(actor=coordinator, now=aware + dt.timedelta(hours=25))
    assert late.overdue and late.time_left < dt.timedelta(0)
    clock = do_report_serious_event(version.record, actor=coordinator)
    assert clock.reported_at is not None and clock.reported_by == coordinator.name
    assert AuditEvent.objects.get(action="report_serious_event").new["late"] is False
    assert running_sae_clocks(actor=coordinator) == []
    with pytest.raises(StateConflictError):
        do_report_serious_event(version.record, actor=coordinator)



def test_a_non_serious_event_cannot_be_reported_as_serious(participant, coordinator):
    version = do_save_form(participant, "AE", "", adverse_event(), actor=coordinator)
    with pytest.raises(StateConflictError):
        do_report_serious_event(version.record, actor=coordinator)


def test_adverse_events_need_the_report_permission_and_are_a_log_without_a_visit(
        participant, coordinator, make_actor):
    with pytest.raises(NotPermittedError):
        do_save_form(participant, "AE", "", adverse_event(), actor=make_actor("edss_rater"))
    with pytest.raises(InvalidInputError) as at_visit:
        do_save_form(participant, "AE", "D0", adverse_event(), actor=coordinator)
    assert at_visit.value.field == "visit_id"
    with pytest.raises(InvalidInputError) as grade:
        do_save_form(participant, "AE", "", adverse_event(ctcae_grade=6), actor=coordinator)
    assert grade.value.field == "ctcae_grade"
