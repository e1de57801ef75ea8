"""What the dashboard and the participant list show, read in a fixed number of queries.

Nothing here is blinded: arms are read only through ``access.access_arms``, for roles that see
allocation. Gates are evaluated by ``trialkit.core.scheduling`` on facts gathered in bulk
(the per-participant helpers of ``gate_facts`` would cost queries per participant).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from trialkit.core.protocol import Protocol
from trialkit.core.scheduling import (
    Verdict,
    may_randomize,
    names_of,
    pause_state,
    sequential_enrolment,
)
from trialkit.web.trial import access
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.forms import readable
from trialkit.web.trial.gate_facts import committee_decisions, dosing_by_part, today
from trialkit.web.trial.models import (
    Deviation,
    Participant,
    Query,
    ScheduledVisit,
    Study,
)
from trialkit.web.trial.queries_schedule import status_of
from trialkit.web.trial.scope import in_scope

FUNNEL = (("Registered", "registered"), ("Screened", "screened"), ("Consented", "consented"),
          ("Enrolled", "enrolled"), ("Screen failures", "screen_failed"))


@dataclass(frozen=True)
class PartRow:
    id: str
    name: str
    target: int
    enrolled: int
    by_status: dict[str, int]
    by_arm: list[tuple[str, int]] | None
    """Arm label → count; None for a role that may not see arms."""


@dataclass(frozen=True)
class DueVisit:
    participant_id: int
    screening_number: str
    visit_id: str
    target_date: dt.date | None
    latest: dt.date | None
    status: str


def visible(actor: Actor, study: Study) -> QuerySet[Participant]:
    return in_scope(actor, Participant.objects.filter(study__protocol_id=study.protocol_id))


def enrolment_by_part(actor: Actor, study: Study, protocol: Protocol) -> list[PartRow]:
    rows = visible(actor, study).filter(sequence_in_part__isnull=False).values(
        "part", "status").annotate(n=Count("pk"))
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts[row["part"]][row["status"]] += row["n"]
    arms = _arm_counts(actor)
    return [PartRow(part.id, part.name, part.enrolment_target, sum(counts[part.id].values()),
                    dict(counts[part.id]),
                    None if arms is None else [(protocol.arm(a).label, arms[(part.id, a)])
                                               for a in part.arms])
            for part in protocol.design.parts]


def _arm_counts(actor: Actor) -> Counter[tuple[str, str]] | None:
    """Live counts by arm, only for roles that see every allocation anyway: for a committee
    that sees tables by arm only, a count moving by one at a randomization would name the arm
    (it reads frozen data cuts instead)."""
    if not access.may_read_arms(actor):
        return None
    arms = access.access_arms(actor)
    parts = dict(Participant.objects.filter(pk__in=arms).values_list("pk", "part"))
    return Counter((parts[pid], arm) for pid, arm in arms.items())


def funnel(actor: Actor, study: Study) -> list[tuple[str, int]]:
    participants = visible(actor, study)
    counts = participants.aggregate(
        registered=Count("pk"), screened=Count("pk", filter=Q(eligibility__isnull=False)),
        consented=Count("pk", filter=Q(consent_date__isnull=False)),
        enrolled=Count("pk", filter=Q(sequence_in_part__isnull=False)),
        screen_failed=Count("pk", filter=Q(status=Participant.Status.SCREEN_FAILED)))
    return [(label, counts[key]) for label, key in FUNNEL]


def gate_status(study: Study, protocol: Protocol) -> list[Verdict]:
    """Each sequential rule for the next participant, each committee gate, each pause."""
    on, decisions = today(), committee_decisions(study, protocol)
    dosing = dosing_by_part(study, protocol)
    verdicts = []
    for rule in protocol.gates.sequential_enrolment:
        done = [d for d in dosing.get(rule.part, [])
                if rule.gated_administration in d.administered]
        if len(done) < protocol.part(rule.part).enrolment_target:
            names = names_of(protocol)
            verdicts.append(Verdict(
                f"Sequential enrolment in {names[rule.part]}: participant {len(done) + 1} may "
                f"receive {names[rule.gated_administration]}",
                sequential_enrolment(rule, done, on, names).checks))
    opened = {gate.opens_part for gate in protocol.gates.committee}
    for part in sorted(opened):
        verdicts.append(may_randomize(protocol, part, dosing, decisions, on))
    verdicts.extend(pause_state(gate, decisions, on) for gate in protocol.gates.committee)
    return verdicts


def due_visits(actor: Actor, study: Study, *, days: int = 14, limit: int = 30) -> list[DueVisit]:
    """Visits not done whose window opens within ``days`` or has passed, earliest first."""
    on = today()
    visits = ScheduledVisit.objects.filter(
        participant__in=visible(actor, study), done_on__isnull=True, missed=False,
        earliest__lte=on + dt.timedelta(days=days),
        participant__status=Participant.Status.ENROLLED).select_related(
        "participant").order_by("target_date", "pk")[:limit]
    return [DueVisit(v.participant_id, v.participant.screening_number, v.visit_id,
                     v.target_date, v.latest, status_of(v, on)) for v in visits]


def query_counts(actor: Actor, study: Study) -> dict[str, int]:
    rows = readable(actor, Query.objects.filter(record__participant__in=visible(actor, study)),
                    "record").values("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(Query.Status.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def recent_deviations(actor: Actor, study: Study, limit: int = 10) -> tuple[int, list[Deviation]]:
    deviations = Deviation.objects.filter(participant__in=visible(actor, study))
    return deviations.count(), list(deviations.select_related("participant").order_by(
        "-occurred_on", "-pk")[:limit])


def next_visits(participant_ids: list[int]) -> dict[int, ScheduledVisit]:
    """Each participant's next visit not yet done (one query for a page of participants)."""
    found: dict[int, ScheduledVisit] = {}
    for visit in ScheduledVisit.objects.filter(
            participant_id__in=participant_ids, done_on__isnull=True, missed=False,
            target_date__isnull=False).order_by("participant_id", "target_date"):
        found.setdefault(visit.participant_id, visit)
    return found
