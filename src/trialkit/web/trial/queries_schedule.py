"""Read helpers for a participant's schedule and deviations (no blinded facts here).

Statuses are computed on read with ``trialkit.core.scheduling`` from the stored target dates,
windows and completions: ``done`` and ``missed`` as recorded, otherwise ``upcoming`` / ``due``
/ ``overdue``, and ``missed`` once the window has closed without a completion.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from trialkit.core.scheduling import PlannedVisit, VisitStatus
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.gate_facts import today
from trialkit.web.trial.models import Deviation, Participant, ScheduledVisit
from trialkit.web.trial.models.participants import deviation_kind_label


@dataclass(frozen=True)
class VisitRow:
    visit_id: str
    name: str
    target_date: dt.date | None
    earliest: dt.date | None
    latest: dt.date | None
    done_on: dt.date | None
    status: str


@dataclass(frozen=True)
class DeviationRow:
    kind: str
    description: str
    occurred_on: dt.date
    visit_id: str
    administration_id: str
    recorded_by: str

    @property
    def kind_label(self) -> str:
        return deviation_kind_label(self.kind)


def visit_schedule(participant: Participant, actor: Actor,
                   on: dt.date | None = None) -> list[VisitRow]:
    """The participant's scheduled visits in date order with their status on ``on``."""
    actor.require_site(participant)
    when = on or today()
    names = {v.id: v.name for v in actor.protocol().schedule.visits}
    visits = participant.visits.order_by("target_date", "pk")
    return [VisitRow(v.visit_id, names.get(v.visit_id, v.visit_id), v.target_date, v.earliest,
                     v.latest, v.done_on, status_of(v, when)) for v in visits]


def status_of(visit: ScheduledVisit, on: dt.date) -> str:
    if visit.missed:
        return VisitStatus.MISSED.value
    if visit.target_date is None or visit.earliest is None or visit.latest is None:
        return VisitStatus.DONE.value if visit.done_on else VisitStatus.UPCOMING.value
    planned = PlannedVisit(visit.visit_id, visit.visit_id, 0, visit.target_date, visit.earliest,
                           visit.latest)
    return planned.status_on(on, visit.done_on).value


def deviations_of(participant: Participant, actor: Actor) -> list[DeviationRow]:
    actor.require_site(participant)
    return [DeviationRow(d.kind, d.description, d.occurred_on, d.visit_id, d.administration_id,
                         d.recorded_by)
            for d in Deviation.objects.filter(participant=participant).order_by("occurred_on",
                                                                                 "pk")]
