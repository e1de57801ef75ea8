"""The only way to read blinded facts: a participant's arm (or, in a crossover part, their
sequence and the arm of each period), a kit's preparation, whether a procedure is real or sham,
the randomization list.

Each ``access_*`` function takes the acting user and raises ``NotPermittedError`` unless the
actor's protocol role ``sees`` that kind of information (``Actor.sees``; a role blinded until
lock sees it once the database is locked). One exception is deliberate: an investigator who
performed an emergency unblinding of a participant sees that participant's allocation, and no
other. A part without masking (an open-label run-in) has nothing to conceal: its arm is its
only arm.

A crossover participant is randomized to a sequence and receives one arm per period, so their
arm depends on the date: the arm of the period they were in then (before the first period
starts, the first period's arm). By-arm summaries count them by period: ``access_arms`` gives
each participant's arm on one date (today unless told), and ``access_exposure`` gives every
period's arm with the day it started, so an event is counted in the arm of the period it began
in and a participant in every arm whose period they entered. The current period itself is not
blinded (every sequence switches at the same planned visit); which arm it carries is.

``randomization_number_and_kit`` is the blinded-safe reader for sites.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.design import Part
from trialkit.core.randomization import arm_on, arms_by_period
from trialkit.web.trial.actions.base import (
    Actor,
    NotFoundError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.gate_facts import period_starts, today
from trialkit.web.trial.models import Participant, RandomizationSlot, Unblinding
from trialkit.web.trial.study import current_study


@dataclass(frozen=True)
class PeriodArm:
    """The arm a crossover participant receives in one period."""

    period: str
    period_name: str
    arm: str
    arm_label: str
    started_on: dt.date | None
    """The day the participant entered the period (None: not yet)."""


@dataclass(frozen=True)
class AllocationView:
    screening_number: str
    part: str
    arm: str
    """The arm; for a crossover participant, the arm of their current period (the first
    period's before it starts)."""
    arm_label: str
    randomization_number: str
    """Blank for a participant of a non-randomized part."""
    kit_code: str
    sequence: str = ""
    """The treatment sequence of a crossover participant; blank in a parallel part."""
    sequence_label: str = ""
    periods: tuple[PeriodArm, ...] = ()
    """Each period's arm, in period order (crossover only)."""
    period: str = ""
    """The period the participant is in (crossover only; blank before the first starts)."""

    @property
    def description(self) -> str:
        """The whole allocation in one sentence: the arm, or the sequence period by period."""
        if not self.sequence:
            return self.arm_label
        steps = "; ".join(f"{p.period_name}: {p.arm_label}" for p in self.periods)
        now = next((p.period_name for p in self.periods if p.period == self.period), "")
        return f"{self.sequence_label} — {steps}" + (f" (now in {now})" if now else "")


def access_allocation(participant: Participant, actor: Actor) -> AllocationView:
    participant = _current(participant, actor)
    protocol = actor.protocol()
    if not (actor.sees("allocation") or _open_label(participant, protocol)
            or Unblinding.objects.filter(participant=participant, by=actor.user).exists()):
        raise NotPermittedError(f"role '{actor.role}' is blinded to allocation")
    slot = RandomizationSlot.objects.filter(participant=participant).first()
    number, kit = (slot.number, slot.kit_code) if slot else ("", "")
    if slot is not None and slot.treatment_sequence:
        return _crossover_view(participant, protocol, slot.treatment_sequence, number, kit)
    arm = _arm(participant, protocol, slot)
    return AllocationView(participant.screening_number, participant.part, arm,
                          protocol.arm(arm).label, number, kit)


def _crossover_view(participant: Participant, protocol: Protocol, sequence: str, number: str,
                    kit: str) -> AllocationView:
    part = protocol.part(participant.part)
    starts = period_starts([participant.pk])[participant.pk]
    names = {p.id: p.name for p in part.periods}
    periods = tuple(PeriodArm(period, names[period], arm, protocol.arm(arm).label,
                              starts.get(period))
                    for period, arm in arms_by_period(part, sequence))
    arm = arm_on(part, sequence, starts, today())
    return AllocationView(participant.screening_number, participant.part, arm,
                          protocol.arm(arm).label, number, kit, sequence=sequence,
                          sequence_label=part.sequence(sequence).label, periods=periods,
                          period=participant.period)


def access_preparation(kit_code: str, actor: Actor) -> dict[str, str]:
    """What to prepare for this kit at each administration (administration id → preparation):
    the preparation of the arm the participant receives in the administration's period (a
    crossover part) or of their arm."""
    if not actor.sees("preparation"):
        raise NotPermittedError(f"role '{actor.role}' may not see preparations")
    slot = RandomizationSlot.objects.filter(
        kit_code=kit_code,
        randomization_list__study__protocol_id=current_study().protocol_id).select_related(
        "participant").first()
    if slot is None or slot.participant is None:
        raise NotFoundError("no allocated kit with this code", field="kit_code")
    actor.require_site(slot.participant)
    protocol = actor.protocol()
    arms = _arm_by_administration(protocol, slot.participant, slot)
    return {a.id: a.by_arm[arms[a.id]].preparation for a in protocol.design.administrations
            if arms.get(a.id) in a.by_arm}


def access_procedure_type(participant: Participant, administration_id: str,
                          actor: Actor) -> str:
    """``real``, ``sham`` or ``none`` for this participant's administration (in a crossover
    part, for the arm of the administration's period)."""
    participant = _current(participant, actor)
    protocol = actor.protocol()
    if not (actor.sees("procedure_type") or _open_label(participant, protocol)):
        raise NotPermittedError(f"role '{actor.role}' may not see the procedure type")
    try:
        administration = protocol.administration(administration_id)
    except KeyError:
        raise NotFoundError(f"no administration '{administration_id}'",
                            field="administration_id") from None
    slot = RandomizationSlot.objects.filter(participant=participant).first()
    arm = _arm_by_administration(protocol, participant, slot).get(administration.id)
    if arm is None:
        raise StateConflictError(f"{administration.name} is given in no period of the "
                                 "participant's sequence", field="administration_id")
    return administration.by_arm[arm].procedure


def _arm_by_administration(protocol: Protocol, participant: Participant,
                           slot: RandomizationSlot | None) -> dict[str, str]:
    """Administration id → the arm whose content it carries for this participant. In a
    crossover part only administrations of one of the part's periods have one."""
    if slot is None or not slot.treatment_sequence:
        arm = _arm(participant, protocol, slot)
        return {a.id: arm for a in protocol.design.administrations}
    part = protocol.part(participant.part)
    by_period = dict(arms_by_period(part, slot.treatment_sequence))
    return {a.id: by_period[a.period] for a in protocol.design.administrations
            if a.period in by_period}


def access_randomization_list(actor: Actor) -> list[dict[str, Any]]:
    """Every slot with what it allocates and, once used, its participant and allocation
    details. A crossover slot has ``treatment_sequence`` and ``arms_by_period`` and a blank
    ``arm``; a parallel slot the reverse."""
    if not actor.sees("randomization_list"):
        raise NotPermittedError(f"role '{actor.role}' may not see the randomization list")
    slots = RandomizationSlot.objects.filter(
        randomization_list__study__protocol_id=current_study().protocol_id).select_related(
        "participant", "randomization_list").order_by(
        "stratum", "sequence")
    protocol = actor.protocol()
    return [{"stratum": s.stratum, "sequence": s.sequence, "block": s.block,
             "block_size": s.block_size, "randomization_number": s.number, "arm": s.arm,
             "treatment_sequence": s.treatment_sequence,
             "arms_by_period": _periods_of(protocol, s), "kit_code": s.kit_code,
             "participant": s.participant.screening_number if s.participant else None,
             "allocated_at": s.allocated_at, "levels": s.levels, "decision": s.decision}
            for s in slots]


def _periods_of(protocol: Protocol, slot: RandomizationSlot) -> list[dict[str, str]]:
    if not slot.treatment_sequence:
        return []
    part = protocol.part(slot.randomization_list.part)
    return [{"period": period, "arm": arm}
            for period, arm in arms_by_period(part, slot.treatment_sequence)]


def randomization_number_and_kit(participant: Participant,
                                 actor: Actor) -> tuple[str, str] | None:
    """Blinded-safe: the randomization number and kit code, None if not randomized."""
    actor.require_site(participant)
    slot = RandomizationSlot.objects.filter(participant=participant).only(
        "number", "kit_code").first()
    return None if slot is None else (slot.number, slot.kit_code)


def _current(participant: Participant, actor: Actor) -> Participant:
    """The stored participant (a caller's object may predate enrolment), if the actor may see it."""
    actor.require_site(participant)
    return Participant.objects.get(pk=participant.pk)


def _open_label(participant: Participant, protocol: Protocol) -> bool:
    if not participant.part:
        return False
    part = protocol.part(participant.part)
    return part.masking.level == "NONE" and len(part.arms) == 1


def _arm(participant: Participant, protocol: Protocol, slot: RandomizationSlot | None) -> str:
    if slot is not None and slot.arm:
        return slot.arm
    if participant.part and len(protocol.part(participant.part).arms) == 1:
        return protocol.part(participant.part).arms[0]
    raise StateConflictError("the participant has no allocation yet", field="participant")


@dataclass(frozen=True)
class Exposure:
    """Which arm a participant receives when: one arm for a parallel participant; for a
    crossover participant, the arm of each period and the day they entered it."""

    part: Part
    arm: str = ""
    """A parallel participant's arm (blank for a crossover participant)."""
    sequence: str = ""
    starts: Mapping[str, dt.date] = field(default_factory=dict)

    def arm_on(self, day: dt.date) -> str:
        """The arm received on ``day`` (a crossover participant: that day's period's arm)."""
        return arm_on(self.part, self.sequence, self.starts, day) if self.sequence else self.arm

    @property
    def arms(self) -> tuple[str, ...]:
        """Every arm received so far, in order: a crossover participant's arms of the periods
        entered (the first period's arm before it starts), else the one arm."""
        if not self.sequence:
            return (self.arm,)
        entered = [arm for period, arm in arms_by_period(self.part, self.sequence)
                   if period in self.starts]
        return tuple(entered) or (self.part.arm_in_period(self.sequence,
                                                          self.part.periods[0].id),)


def access_arms(actor: Actor, on: dt.date | None = None) -> dict[int, str]:
    """Participant id → arm id on ``on`` (default today) of every participant with an arm, at
    the actor's sites: a crossover participant is counted in the arm of the period they are
    in on that date.

    For enrolment by arm and safety tables by arm: roles that see ``allocation`` or
    ``arm_summaries`` (the safety committee's closed session). Open-label single-arm parts
    are included (their arm is not concealed). A fixed number of queries, whatever the
    number of participants.
    """
    day = on or today()
    return {pid: exposure.arm_on(day) for pid, exposure in access_exposure(actor).items()}


def access_exposure(actor: Actor) -> dict[int, Exposure]:
    """Participant id → ``Exposure`` of every participant with an arm, at the actor's sites:
    by-arm tables attribute a dated event with ``exposure.arm_on(date)`` and count a
    participant in every arm of ``exposure.arms``. Same permission as ``access_arms``."""
    if not (actor.sees("allocation") or actor.sees("arm_summaries")):
        raise NotPermittedError(f"role '{actor.role}' may not see arms")
    study, protocol = current_study(), actor.protocol()
    slots = RandomizationSlot.objects.filter(
        randomization_list__study__protocol_id=study.protocol_id, participant__isnull=False)
    enrolled = Participant.objects.filter(study__protocol_id=study.protocol_id,
                                          sequence_in_part__isnull=False)
    if actor.site_ids is not None:
        slots = slots.filter(participant__site_id__in=actor.site_ids)
        enrolled = enrolled.filter(site_id__in=actor.site_ids)
    rows = list(slots.values_list("participant_id", "participant__part", "arm",
                                  "treatment_sequence"))
    starts = period_starts([pid for pid, _, _, sequence in rows if sequence])
    found = {pid: Exposure(protocol.part(part), arm, sequence, starts.get(pid, {}))
             for pid, part, arm, sequence in rows}
    single = {p.id: p for p in protocol.design.parts
              if p.masking.level == "NONE" and len(p.arms) == 1}
    for pid, part_id in enrolled.filter(part__in=single).values_list("pk", "part"):
        found.setdefault(pid, Exposure(single[part_id], single[part_id].arms[0]))
    return found
