"""The only way to read blinded facts: a participant's arm, a kit's preparation, whether a
procedure is real or sham, the randomization list.

Each ``access_*`` function takes the acting user and raises ``NotPermittedError`` unless the
actor's protocol role ``sees`` that kind of information (``Actor.sees``; a role blinded until
lock sees it once the database is locked). One exception is deliberate: an investigator who
performed an emergency unblinding of a participant sees that participant's arm, and no other.
A part without masking (an open-label run-in) has nothing to conceal: its arm is its only arm.

``randomization_number_and_kit`` is the blinded-safe reader for sites.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trialkit.core.protocol import Protocol
from trialkit.web.trial.actions.base import (
    Actor,
    NotFoundError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.models import Participant, RandomizationSlot, Unblinding
from trialkit.web.trial.study import current_study


@dataclass(frozen=True)
class AllocationView:
    screening_number: str
    part: str
    arm: str
    arm_label: str
    randomization_number: str
    """Blank for a participant of a non-randomized part."""
    kit_code: str


def access_allocation(participant: Participant, actor: Actor) -> AllocationView:
    participant = _current(participant, actor)
    protocol = actor.protocol()
    if not (actor.sees("allocation") or _open_label(participant, protocol)
            or Unblinding.objects.filter(participant=participant, by=actor.user).exists()):
        raise NotPermittedError(f"role '{actor.role}' is blinded to allocation")
    slot = RandomizationSlot.objects.filter(participant=participant).first()
    arm = _arm(participant, protocol, slot)
    return AllocationView(participant.screening_number, participant.part, arm,
                          protocol.arm(arm).label, slot.number if slot else "",
                          slot.kit_code if slot else "")


def access_preparation(kit_code: str, actor: Actor) -> dict[str, str]:
    """What to prepare for this kit at each administration (administration id → preparation)."""
    if not actor.sees("preparation"):
        raise NotPermittedError(f"role '{actor.role}' may not see preparations")
    slot = RandomizationSlot.objects.filter(
        kit_code=kit_code,
        randomization_list__study__protocol_id=current_study().protocol_id).select_related(
        "participant").first()
    if slot is None or slot.participant is None:
        raise NotFoundError("no allocated kit with this code", field="kit_code")
    actor.require_site(slot.participant)
    return {a.id: a.by_arm[slot.arm].preparation for a in actor.protocol().design.administrations
            if slot.arm in a.by_arm}


def access_procedure_type(participant: Participant, administration_id: str,
                          actor: Actor) -> str:
    """``real``, ``sham`` or ``none`` for this participant's administration."""
    participant = _current(participant, actor)
    protocol = actor.protocol()
    if not (actor.sees("procedure_type") or _open_label(participant, protocol)):
        raise NotPermittedError(f"role '{actor.role}' may not see the procedure type")
    try:
        administration = protocol.administration(administration_id)
    except KeyError:
        raise NotFoundError(f"no administration '{administration_id}'",
                            field="administration_id") from None
    arm = _arm(participant, protocol, RandomizationSlot.objects.filter(
        participant=participant).first())
    return administration.by_arm[arm].procedure


def access_randomization_list(actor: Actor) -> list[dict[str, Any]]:
    """Every slot with its arm and, once used, its participant and allocation details."""
    if not actor.sees("randomization_list"):
        raise NotPermittedError(f"role '{actor.role}' may not see the randomization list")
    slots = RandomizationSlot.objects.filter(
        randomization_list__study__protocol_id=current_study().protocol_id).select_related(
        "participant").order_by(
        "stratum", "sequence")
    return [{"stratum": s.stratum, "sequence": s.sequence, "block": s.block,
             "block_size": s.block_size, "randomization_number": s.number, "arm": s.arm,
             "kit_code": s.kit_code,
             "participant": s.participant.screening_number if s.participant else None,
             "allocated_at": s.allocated_at, "levels": s.levels, "decision": s.decision}
            for s in slots]


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
    if slot is not None:
        return slot.arm
    if participant.part and len(protocol.part(participant.part).arms) == 1:
        return protocol.part(participant.part).arms[0]
    raise StateConflictError("the participant has no allocation yet", field="participant")


def access_arms(actor: Actor) -> dict[int, str]:
    """Participant id → arm id of every participant with an arm, at the actor's sites.

    For enrolment by arm and safety tables by arm: roles that see ``allocation`` or
    ``arm_summaries`` (the safety committee's closed session). Open-label single-arm parts
    are included (their arm is not concealed). Two queries, whatever the number of
    participants.
    """
    if not (actor.sees("allocation") or actor.sees("arm_summaries")):
        raise NotPermittedError(f"role '{actor.role}' may not see arms")
    study = current_study()
    slots = RandomizationSlot.objects.filter(
        randomization_list__study__protocol_id=study.protocol_id, participant__isnull=False)
    enrolled = Participant.objects.filter(study__protocol_id=study.protocol_id,
                                          sequence_in_part__isnull=False)
    if actor.site_ids is not None:
        slots = slots.filter(participant__site_id__in=actor.site_ids)
        enrolled = enrolled.filter(site_id__in=actor.site_ids)
    arms: dict[int, str] = {pid: arm for pid, arm in slots.values_list("participant_id", "arm")
                            if pid is not None}
    protocol = actor.protocol()
    single = {p.id: p.arms[0] for p in protocol.design.parts
              if p.masking.level == "NONE" and len(p.arms) == 1}
    for pid, part in enrolled.filter(part__in=single).values_list("pk", "part"):
        arms.setdefault(pid, single[part])
    return arms
