"""Adverse events on every protocol: a serious one starts the 24-hour reporting clock and
alerts the roles the protocol says are told. The form's items are found by their CDISC AE
annotations, as the server finds them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.integration.capture_support import adverse_event, ae_item
from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import signed_in, text_of
from trialkit.web.trial import clock as trial_clock
from trialkit.web.trial.actions.adverse_events import (
    do_record_sae_awareness,
    do_report_serious_event,
)
from trialkit.web.trial.actions.base import (
    InvalidInputError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.capture_queries import running_sae_clocks
from trialkit.web.trial.models import (
    AuditEvent,
    Notification,
    Query,
    SeriousEventClock,
    SeriousEventReport,
)

pytestmark = pytest.mark.protocols()
TERM = "Post-procedure headache"


@pytest.fixture
def reporter(trial, make_actor):
    return make_actor(trial.entry_role(trial.adverse_event_form), username="ae-reporter")


def _save(trial, participant, reporter, **kwargs):
    values = adverse_event(trial, term=TERM, **{k: v for k, v in kwargs.items()
                                                if k == "serious"})
    extra = {k: v for k, v in kwargs.items() if k != "serious"}
    return do_save_form(participant, trial.adverse_event_form.id, "", values, actor=reporter,
                        **extra)


def _told(trial) -> list[str]:
    return sorted(r.id for r in trial.protocol.roles if "serious_adverse_event" in r.notified_of)


def test_a_serious_event_starts_a_24_hour_clock_and_alerts_the_roles_the_protocol_names(
        trial, participant, reporter):
    version = _save(trial, participant, reporter, serious=True)
    clock = SeriousEventClock.objects.get(record=version.record)
    assert clock.aware_at == version.saved_at
    assert clock.deadline - clock.aware_at == dt.timedelta(hours=24)
    assert sorted(Notification.objects.values_list("recipient_role", flat=True)) == _told(trial)
    assert _told(trial), "every protocol names someone to tell of a serious event"
    note = Notification.objects.first()
    assert "S-001" in note.subject and TERM in note.body
    assert AuditEvent.objects.filter(action="start_sae_clock").count() == 1
    assert not Query.objects.exists()  # serious with a criterion ticked is consistent


def test_a_non_serious_event_starts_no_clock_and_alerts_no_one(trial, participant, reporter):
    _save(trial, participant, reporter)
    assert not SeriousEventClock.objects.exists() and not Notification.objects.exists()


def test_an_event_upgraded_to_serious_starts_its_clock_once(trial, participant, reporter):
    form = trial.adverse_event_form
    first = _save(trial, participant, reporter)
    upgraded = _save(trial, participant, reporter, serious=True, reason="admitted overnight",
                     repeat_index=1)
    resolved = {**adverse_event(trial, term=TERM, serious=True),
                ae_item(trial, "AEENDTC"): "2025-03-14"}
    do_save_form(participant, form.id, "", resolved, actor=reporter, reason="resolved",
                 repeat_index=1)
    clock = SeriousEventClock.objects.get()
    assert clock.record_id == first.record_id and clock.aware_at == upgraded.saved_at
    assert Notification.objects.count() == len(_told(trial))


def test_each_event_is_its_own_entry_with_its_own_clock(trial, participant, reporter):
    _save(trial, participant, reporter, serious=True)
    do_save_form(participant, trial.adverse_event_form.id, "",
                 adverse_event(trial, term="Meningitis", serious=True), actor=reporter)
    assert SeriousEventClock.objects.count() == 2


def test_serious_without_a_criterion_saves_starts_the_clock_and_queries_the_criteria(
        trial, participant, reporter):
    values = {**adverse_event(trial), ae_item(trial, "AESER"): True}
    version = do_save_form(participant, trial.adverse_event_form.id, "", values, actor=reporter)
    assert SeriousEventClock.objects.filter(record=version.record).exists()
    assert Query.objects.get().item_id == ae_item(trial, "AESER")


def test_running_clocks_show_time_left_and_overdue_and_reporting_stops_them(
        trial, participant, reporter):
    version = _save(trial, participant, reporter, serious=True)
    aware = version.saved_at
    [early] = running_sae_clocks(actor=reporter, now=aware + dt.timedelta(hours=20))
    assert early.time_left == dt.timedelta(hours=4) and not early.overdue
    assert early.still_serious and early.term == TERM
    [late] = running_sae_clocks(actor=reporter, now=aware + dt.timedelta(hours=25))
    assert late.overdue and late.time_left < dt.timedelta(0)
    clock = do_report_serious_event(version.record, RECIPIENT, "PV-1", actor=reporter)
    assert clock.reported_at is not None and clock.reported_by == reporter.name
    assert AuditEvent.objects.get(action="report_serious_event").new["late"] is False
    assert running_sae_clocks(actor=reporter) == []
    with pytest.raises(StateConflictError):
        do_report_serious_event(version.record, RECIPIENT, actor=reporter)


RECIPIENT = "Sponsor safety desk"


def test_each_report_records_when_it_was_sent_to_whom_and_their_reference(
        trial, participant, reporter):
    # "Initial report sent" stored no date, recipient or reference.
    version = _save(trial, participant, reporter, serious=True)
    aware = SeriousEventClock.objects.get(record=version.record).aware_at
    with pytest.raises(InvalidInputError) as nobody:
        do_report_serious_event(version.record, " ", actor=reporter)
    assert nobody.value.field == "recipient"
    with pytest.raises(InvalidInputError) as before:
        do_report_serious_event(version.record, RECIPIENT, sent_at=aware - dt.timedelta(
            hours=1), actor=reporter)
    assert before.value.field == "sent_at"
    with pytest.raises(StateConflictError, match="initial report first"):
        do_report_serious_event(version.record, RECIPIENT, kind="follow_up", actor=reporter)
    sent = aware + dt.timedelta(hours=30)
    with trial_clock.using(trial_clock.FixedClock(aware + dt.timedelta(hours=40))):
        clock = do_report_serious_event(version.record, RECIPIENT, "PV-2026-0042",
                                        sent_at=sent, actor=reporter)
        do_report_serious_event(version.record, "Ethics committee", "IRB-17",
                                kind="follow_up", actor=reporter)
    assert clock.reported_at == sent  # when it was sent, not when it was recorded
    initial, follow_up = SeriousEventReport.objects.filter(clock=clock).order_by("sent_at")
    assert (initial.kind, initial.recipient, initial.reference) == (
        "initial", RECIPIENT, "PV-2026-0042")
    assert (follow_up.kind, follow_up.recipient) == ("follow_up", "Ethics committee")
    late = AuditEvent.objects.filter(action="report_serious_event").order_by("sequence")
    assert late[0].new["late"] is True and late[0].new["recipient"] == RECIPIENT


def test_the_clock_counts_from_when_the_site_became_aware(trial, participant, reporter):
    # The 24-hour clock started at data entry, not when the site became aware.
    version = _save(trial, participant, reporter, serious=True)
    entered = SeriousEventClock.objects.get(record=version.record)
    called = entered.aware_at - dt.timedelta(hours=10)
    with pytest.raises(InvalidInputError) as future:
        do_record_sae_awareness(version.record, entered.aware_at + dt.timedelta(days=1),
                                "a call", actor=reporter)
    assert future.value.field == "aware_at"
    clock = do_record_sae_awareness(version.record, called, "Call from the ward",
                                    actor=reporter)
    assert clock.aware_at == called and clock.deadline == called + dt.timedelta(hours=24)
    event = AuditEvent.objects.get(action="set_sae_awareness")
    assert event.reason == "Call from the ward"
    [running] = running_sae_clocks(actor=reporter, now=entered.aware_at + dt.timedelta(hours=20))
    assert running.overdue  # 30 hours after the call


def test_the_safety_page_records_awareness_and_the_initial_report_on_the_sites_clock(
        trial, participant, reporter):
    version = _save(trial, participant, reporter, serious=True)
    aware = SeriousEventClock.objects.get(record=version.record).aware_at
    zone = ZoneInfo(participant.site.time_zone)
    client = signed_in("ae-reporter", PASSWORD, reporter.role)
    earlier = (aware - dt.timedelta(hours=2)).astimezone(zone)
    client.post(f"/safety/clocks/{version.record.pk}/awareness/",
                {"aware_at": f"{earlier:%Y-%m-%d %H:%M}", "reason": "Call from the ward"})
    clock = SeriousEventClock.objects.get(record=version.record)
    assert clock.aware_at == earlier.replace(second=0, microsecond=0)
    sent = (aware + dt.timedelta(minutes=1)).astimezone(zone)
    with trial_clock.using(trial_clock.FixedClock(aware + dt.timedelta(hours=1))):
        answer = client.post(f"/safety/clocks/{version.record.pk}/report/", {
            "kind": "initial", "sent_at": f"{sent:%Y-%m-%d %H:%M}", "recipient": RECIPIENT,
            "reference": "PV-7"}, follow=True)
        page = text_of(answer.content)
    assert "initial report recorded" in page
    assert f"initial report sent {sent:%Y-%m-%d %H:%M}" in page and "(ref. pv-7)" in page


def test_the_safety_page_counts_the_time_left_on_the_trials_clock(trial, participant,
                                                                   reporter):
    # The trial's clock three days behind the wall clock (a demo clock or a fixed one): the
    # time left is a day by that clock, whatever the wall says.
    moment = timezone.now() - dt.timedelta(days=3)
    with trial_clock.using(trial_clock.FixedClock(moment)):
        _save(trial, participant, reporter, serious=True)
        client = signed_in("ae-reporter", PASSWORD, reporter.role)
        page = text_of(client.get("/safety/").content)
    assert "1 day" in page and "0 minutes" not in page and "overdue" not in page


def test_a_non_serious_event_cannot_be_reported_as_serious(trial, participant, reporter):
    version = _save(trial, participant, reporter)
    with pytest.raises(StateConflictError):
        do_report_serious_event(version.record, RECIPIENT, actor=reporter)


def test_adverse_events_need_the_report_permission_and_are_a_log_without_a_visit(
        trial, participant, reporter, make_actor):
    form = trial.adverse_event_form
    outsider = next(r.id for r in trial.roles("enter_data")
                    if r.id not in trial.entry_roles(form))
    with pytest.raises(NotPermittedError):
        do_save_form(participant, form.id, "", adverse_event(trial), actor=make_actor(outsider))
    visit = next(v.id for v in trial.protocol.schedule.visits if form.id not in v.forms)
    with pytest.raises(InvalidInputError) as at_visit:
        do_save_form(participant, form.id, visit, adverse_event(trial), actor=reporter)
    assert at_visit.value.field == "visit_id"
    choice = next(i for i in form.items if i.type == "choice" and i.required)
    with pytest.raises(InvalidInputError) as bad_code:
        do_save_form(participant, form.id, "", {**adverse_event(trial), choice.id: "6"},
                     actor=reporter)
    assert bad_code.value.field == choice.id


def test_the_report_prints_as_a_pdf_with_the_event_and_each_report_sent(
        trial, participant, reporter):
    # Nothing was printable: no SAE report to file or send.
    import io

    import pypdf

    version = _save(trial, participant, reporter, serious=True)
    do_report_serious_event(version.record, RECIPIENT, "PV-2026-0042", actor=reporter)
    client = signed_in("ae-reporter", PASSWORD, reporter.role)
    answer = client.get(f"/safety/clocks/{version.record.pk}/report.pdf")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(
        io.BytesIO(answer.content)).pages)
    text = " ".join(text.split())
    assert participant.screening_number in text and TERM in text
    assert RECIPIENT in text and "PV-2026-0042" in text and "Initial report" in text
    assert participant.site.time_zone in text
    other = _save(trial, participant, reporter)  # not serious: no report to print
    assert client.get(f"/safety/clocks/{other.record.pk}/report.pdf").status_code == 404
