"""Serious adverse events: the 24-hour reporting clock and who is alerted.

Saving an adverse-event form (``kind: adverse_event``) as serious (its AESER item) starts the
clock once per event: awareness is the moment the site saved it as serious, the deadline comes
from trialkit.core.scoring.ctcae.sae_report_deadline. Alerts go to the roles whose
``notified_of`` lists ``serious_adverse_event``. The alert names the participant, the event
(its AETERM item), its grade (AETOXGR) and seriousness criteria, and the deadline, never
anything blinded.

A later version that downgrades the event to non-serious does not stop the clock: a report may
still be owed, and the read helper shows whether the latest version is still serious.
"""

from __future__ import annotations

import datetime as dt

from trialkit.core.forms import adverse_event_items
from trialkit.core.protocol import Protocol
from trialkit.core.scoring.ctcae import sae_report_deadline, sae_report_is_late
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import Actor, StateConflictError
from trialkit.web.trial.actions.kernel import (
    WRITES_PARTICIPANT_DATA,
    action,
    record,
)
from trialkit.web.trial.actions.notifications import notify
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import FormRecord, FormVersion, SeriousEventClock


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
            f"serious by {actor.name} ({actor.role}) at {now:%Y-%m-%d %H:%M %Z}. The initial "
            f"report is due by {sae_clock.deadline:%Y-%m-%d %H:%M %Z}.")
    roles = notify(protocol, "serious_adverse_event", subject, body, now)
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
        guards=WRITES_PARTICIPANT_DATA, subject="form_record")
def do_report_serious_event(form_record: FormRecord, *, actor: Actor) -> SeriousEventClock:
    """Mark the initial report of a serious event as sent (to the sponsor or its delegate)."""
    from trialkit.web.trial.actions.forms import require_read  # forms imports this module

    require_read(actor, form_record)
    sae_clock = SeriousEventClock.objects.select_for_update().filter(record=form_record).first()
    if sae_clock is None:
        raise StateConflictError("this event has no serious-event sae_clock", field="record")
    if sae_clock.reported_at is not None:
        raise StateConflictError("this serious event is already reported", field="record")
    sae_clock.reported_at, sae_clock.reported_by = clock.now(), actor.name
    sae_clock.save(update_fields=["reported_at", "reported_by"])
    late = sae_report_is_late(sae_clock.aware_at, sae_clock.reported_at)
    record(actor, AuditAction.REPORT_SERIOUS_EVENT, sae_clock, old={"reported_at": None},
           new={"reported_at": sae_clock.reported_at, "deadline": sae_clock.deadline, "late": late})
    return sae_clock
