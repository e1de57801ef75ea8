"""The stored facts the protocol's gates are evaluated on, in the shapes trialkit.core expects.

Read helpers for the actions (enrolment, dosing, randomization): committee decisions,
participants' doses in enrolment order, open serious adverse events, and a crossover
participant's periods (for the period gates and, not blinded, for the participant's page and
API: every sequence switches at the same planned visit). Facts made under every
version of the protocol count (an amendment does not restart the trial). Dates are calendar
dates in the server's time zone (UTC), as the core gate functions take them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from trialkit.core.forms import AdverseEventItems, adverse_event_items
from trialkit.core.protocol import Protocol
from trialkit.core.scheduling import (
    CommitteeDecision,
    ParticipantDosing,
    PeriodFacts,
    first_visit,
)
from trialkit.web.trial import clock
from trialkit.web.trial.models import (
    Administration,
    FormVersion,
    Participant,
    PeriodStart,
    SafetyDecision,
    Study,
)


def today() -> dt.date:
    return clock.today()


def committee_decisions(study: Study, protocol: Protocol) -> list[CommitteeDecision]:
    """Every signed committee decision of this study (the action only stores e-signed ones)."""
    gates = protocol.gates.committee
    return [CommitteeDecision(committee=gates[d.gate_index].committee, decision=d.decision,
                              signed_by_role=d.signer_role, signed_at=d.signed_at, e_signed=True)
            for d in SafetyDecision.objects.filter(study__protocol_id=study.protocol_id)
            .order_by("signed_at", "pk")
            if d.gate_index < len(gates)]


def enrolled_in(study: Study, part_id: str) -> QuerySet[Participant]:
    """Participants who took a place in the part, in enrolment order (ended ones included)."""
    return Participant.objects.filter(study__protocol_id=study.protocol_id, part=part_id,
                                      sequence_in_part__isnull=False).order_by("sequence_in_part")


def dosing_of(participant: Participant, protocol: Protocol) -> ParticipantDosing:
    return dosings_of([participant], protocol)[0]


def dosing_by_part(study: Study, protocol: Protocol) -> dict[str, list[ParticipantDosing]]:
    """Every enrolled participant's doses and open SAEs, by part in enrolment order.

    A fixed number of queries whatever the number of participants: randomization evaluates
    this while holding the list lock, so its cost is paid by every waiting request.
    """
    enrolled = list(Participant.objects.filter(study__protocol_id=study.protocol_id,
                                               sequence_in_part__isnull=False)
                    .order_by("part", "sequence_in_part"))
    by_part: dict[str, list[ParticipantDosing]] = {part.id: [] for part in protocol.design.parts}
    for participant, dosing in zip(enrolled, dosings_of(enrolled, protocol), strict=True):
        by_part.setdefault(participant.part, []).append(dosing)
    return by_part


def dosings_of(participants: list[Participant], protocol: Protocol) -> list[ParticipantDosing]:
    ids = [p.pk for p in participants]
    given: dict[int, dict[str, dt.date]] = {pk: {} for pk in ids}
    for pk, administration, at in Administration.objects.filter(
            participant_id__in=ids).values_list("participant_id", "administration_id",
                                                "given_at"):
        given[pk][administration] = timezone.localdate(at)
    open_saes = _open_serious_adverse_events(ids, protocol)
    return [ParticipantDosing(participant_id=p.screening_number, administered=given[p.pk],
                              open_serious_adverse_events=open_saes.get(p.pk, 0))
            for p in participants]


def period_facts(participant: Participant, protocol: Protocol) -> PeriodFacts:
    """The participant's period starts, doses and day 0, as the period gates take them."""
    starts = period_starts([participant.pk])[participant.pk]
    given = {a.administration_id: timezone.localdate(a.given_at)
             for a in Administration.objects.filter(participant=participant)}
    day_zero = given.get(protocol.design.day_zero or "")
    return PeriodFacts(starts=starts, administered=given, day_zero=day_zero)


def period_starts(participant_ids: list[int]) -> dict[int, dict[str, dt.date]]:
    """Participant id → period id → the day they entered it (one query)."""
    found: dict[int, dict[str, dt.date]] = {pk: {} for pk in participant_ids}
    for pk, period, started in PeriodStart.objects.filter(
            participant_id__in=participant_ids).values_list("participant_id", "period_id",
                                                             "started_on"):
        found[pk][period] = started
    return found


@dataclass(frozen=True)
class PeriodLine:
    period: str
    name: str
    starts_at: str
    """The name of the visit that starts the period."""
    started_on: dt.date | None


@dataclass(frozen=True)
class Periods:
    """A crossover participant's periods (not blinded)."""

    current: PeriodLine | None
    """None before the first period starts."""
    lines: list[PeriodLine]


def periods_of(participant: Participant, protocol: Protocol) -> Periods | None:
    """The participant's periods, or None outside a crossover part."""
    if not participant.part or not protocol.part(participant.part).is_crossover:
        return None
    started = period_starts([participant.pk])[participant.pk]
    lines = [PeriodLine(p.id, p.name, first_visit(protocol, p.id).name, started.get(p.id))
             for p in protocol.part(participant.part).periods]
    return Periods(next((line for line in lines if line.period == participant.period), None),
                   lines)


def adverse_event_forms(protocol: Protocol) -> dict[str, AdverseEventItems]:
    """Form id → the meaning of its items, for every adverse-event form of the protocol."""
    return {f.id: items for f in protocol.forms if (items := adverse_event_items(f)) is not None}


def open_serious_adverse_events(participant: Participant, protocol: Protocol) -> int:
    """Adverse-event instances whose latest version is serious and has no end date (AEENDTC;
    a form that asks no end date keeps its serious events open)."""
    return _open_serious_adverse_events([participant.pk], protocol).get(participant.pk, 0)


def _open_serious_adverse_events(participant_ids: list[int],
                                 protocol: Protocol) -> dict[int, int]:
    forms = adverse_event_forms(protocol)
    latest: dict[int, FormVersion] = {}
    for version in FormVersion.objects.filter(
            record__participant_id__in=participant_ids, record__form_id__in=forms,
    ).select_related("record").order_by("record_id", "number"):
        latest[version.record_id] = version
    counts: dict[int, int] = {}
    for v in latest.values():
        items = forms[v.record.form_id]
        if items.is_serious(v.data) and items.is_open(v.data):
            counts[v.record.participant_id] = counts.get(v.record.participant_id, 0) + 1
    return counts
