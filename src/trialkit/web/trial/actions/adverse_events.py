"""Serious adverse events: the 24-hour reporting clock and who is alerted.

Saving an adverse-event form (``kind: adverse_event``) as serious (its AESER item) starts the
clock once per event: awareness is first the moment the site saved it as serious, and the site
then records when it actually became aware (``do_record_sae_awareness``), which moves the
deadline (trialkit.core.scoring.ctcae.sae_report_deadline). Each report sent (the initial one
stops the clock, then follow-ups) is recorded with when it was sent, to whom and their
reference. Alerts go to the roles whose
``notified_of`` lists ``serious_adverse_event``. The alert names the participant, the event
(its AETERM item), its grade (AETOXGR) and seriousness criteria, and the deadline, never
anything blinded.

A later version that downgrades the event to non-serious does not stop the clock: a report may
still be owed, and the read helper shows whether the latest version is still serious.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from trialkit.core.forms import adverse_event_items
from trialkit.core.protocol import Protocol
from trialkit.core.scoring.ctcae import sae_report_deadline, sae_report_is_late
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import Actor, InvalidInputError, StateConflictError
from trialkit.web.trial.actions.kernel import (
    RECORDS_STUDY_DATA,
    action,
    record,
)
from trialkit.web.trial.actions.notifications import notify
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import (
    FormRecord,
    FormVersion,
    SeriousEventClock,
    SeriousEventReport,
)


def start_serious_event_clock(version: FormVersion, *, actor: Actor,
                              now: dt.datetime) -> SeriousEventClock | None:
    """Start the sae_clock of this event unless it runs already; call inside the saving action."""
    form_record = version.record
    if SeriousEventClock.objects.filter(record=form_record).exists():
        return None
    sae_clock = SeriousEventClock.objects.create(record=form_record, aware_at=now,
                                             deadline=sae_report_deadline(now))
    participant = form_record.participant
    protocol = actor.protocol()
    subject = (f"Serious adverse event: participant {participant.screening_number} "
               f"at {participant.site.code}")
    body = (f"{_event_in_words(protocol, form_record.form_id, version.data)}, saved as "
            f"serious by {actor.name} ({protocol.role(actor.role).name}) at "
            f"{now:%Y-%m-%d %H:%M %Z}. The initial "
            f"report is due by {sae_clock.deadline:%Y-%m-%d %H:%M %Z}.")
    roles = notify(protocol, "serious_adverse_event", subject, body, now, participant.site)
    record(actor, AuditAction.START_SAE_CLOCK, sae_clock,
           new={"record": form_record.pk, "aware_at": now, "deadline": sae_clock.deadline,
                "notified_roles": roles})
    return sae_clock


def _event_in_words(protocol: Protocol, form_id: str, values: dict[str, object]) -> str:
    """The event in words: its term, then its grade and the seriousness criteria it meets."""
    form = protocol.form(form_id)
    items = adverse_event_items(form)
    if items is None:
        return form.name
    details = [f"grade {items.grade_of(values)}"] if items.grade_of(values) else []
    details += [criterion.label for criterion in items.criteria_met(values)]
    term = items.term_of(values, form.name)
    return f"{term} ({'; '.join(details)})" if details else term


@action(AuditAction.REPORT_SERIOUS_EVENT, permission="report_adverse_event",
        guards=RECORDS_STUDY_DATA, subject="form_record",
        doing=_("recording a serious adverse event report"))
def do_report_serious_event(form_record: FormRecord, recipient: str, reference: str = "",
                            sent_at: dt.datetime | None = None, kind: str = "initial", *,
                            actor: Actor) -> SeriousEventClock:
    """A report of a serious event was sent (to the sponsor or its delegate): the initial one
    stops the clock; follow-ups come after it. ``sent_at`` defaults to now."""
    from trialkit.web.trial.actions.forms import require_read  # forms imports this module

    require_read(actor, form_record)
    sae_clock = SeriousEventClock.objects.select_for_update().filter(record=form_record).first()
    if sae_clock is None:
        raise StateConflictError(_("this event has no serious-event clock"), field="record")
    if kind not in SeriousEventReport.Kind.values:
        raise InvalidInputError(_("kind is initial or follow_up"), field="kind")
    if not recipient.strip():
        raise InvalidInputError(_("say who received the report"), field="recipient")
    now = clock.now()
    sent = sent_at or now
    if sent > now or sent < sae_clock.aware_at:
        raise InvalidInputError(
            _("the report is dated %(sent)s UTC: not in the future, and not before "
              "the site became aware (%(aware_at)s UTC)"), field="sent_at",
            sent=f"{sent:%Y-%m-%d %H:%M}", aware_at=f"{sae_clock.aware_at:%Y-%m-%d %H:%M}")
    initial = kind == SeriousEventReport.Kind.INITIAL
    if initial and sae_clock.reported_at is not None:
        raise StateConflictError(_("the initial report is already recorded: this one is a "
                                   "follow-up"), field="kind")
    if not initial and sae_clock.reported_at is None:
        raise StateConflictError(_("record the initial report first"), field="kind")
    SeriousEventReport.objects.create(clock=sae_clock, kind=kind, sent_at=sent,
                                      recipient=recipient.strip(), reference=reference.strip(),
                                      recorded_by=actor.name, recorded_at=now)
    new: dict[str, object] = {"kind": kind, "sent_at": sent, "recipient": recipient.strip(),
                              "reference": reference.strip()}
    if initial:
        sae_clock.reported_at, sae_clock.reported_by = sent, actor.name
        sae_clock.save(update_fields=["reported_at", "reported_by"])
        new |= {"reported_at": sent, "deadline": sae_clock.deadline,
                "late": sae_report_is_late(sae_clock.aware_at, sent)}
    record(actor, AuditAction.REPORT_SERIOUS_EVENT, sae_clock,
           old={"reported_at": None} if initial else {}, new=new)
    return sae_clock


@action(AuditAction.SET_SAE_AWARENESS, permission="report_adverse_event",
        guards=RECORDS_STUDY_DATA, subject="form_record",
        doing=_("recording when the site learnt of a serious adverse event"))
def do_record_sae_awareness(form_record: FormRecord, aware_at: dt.datetime, reason: str, *,
                            actor: Actor) -> SeriousEventClock:
    """When the site became aware of the serious event (a call, a discharge letter), which
    starts the reporting clock; the clock first started when the event was saved."""
    from trialkit.web.trial.actions.forms import require_read  # forms imports this module

    require_read(actor, form_record)
    sae_clock = SeriousEventClock.objects.select_for_update().filter(record=form_record).first()
    if sae_clock is None:
        raise StateConflictError(_("this event has no serious-event clock"), field="record")
    if not reason.strip():
        raise InvalidInputError(_("say how the site learnt of the event"), field="reason")
    if aware_at > clock.now():
        raise InvalidInputError(_("the site cannot become aware in the future"),
                                field="aware_at")
    if sae_clock.reported_at is not None and aware_at > sae_clock.reported_at:
        raise InvalidInputError(_("the initial report was sent before this moment"),
                                field="aware_at")
    old = {"aware_at": sae_clock.aware_at, "deadline": sae_clock.deadline}
    sae_clock.aware_at, sae_clock.deadline = aware_at, sae_report_deadline(aware_at)
    sae_clock.save(update_fields=["aware_at", "deadline"])
    record(actor, AuditAction.SET_SAE_AWARENESS, sae_clock, old=old,
           new={"aware_at": aware_at, "deadline": sae_clock.deadline}, reason=reason.strip())
    return sae_clock
