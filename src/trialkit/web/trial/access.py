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

Every read is audited (``read_audit``): one ``read_*`` event per kind per request naming whom
it was about, and a refused read as ``read_refused``. A page that only shows a fact to those who
may see it asks first (``allocation_if_visible``, ``may_read_arms``), so that rendering a page
for a blinded role is not recorded as an attempt. Arms of a part without masking and with one
arm are not concealed, so reading them is not an audited read.

Individual arms (``access_arms``, ``access_exposure``) are for roles that see ``allocation``.
A role that sees ``arm_summaries`` only (a safety committee) reads tables by arm frozen at a
data cut (``access_data_cuts``), never live ones: live counts change by one at each
randomization and would name the arm of the participant just randomized.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.design import Part
from trialkit.core.randomization import arm_on, arms_by_period
from trialkit.web.trial.actions.base import (
    Actor,
    NotFoundError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.gate_facts import period_starts, today
from trialkit.web.trial.models import DataCut, Participant, RandomizationSlot, Unblinding
from trialkit.web.trial.read_audit import audited_read, refused_read
from trialkit.web.trial.scope import in_scope, scope_of
from trialkit.web.trial.study import current_study, in_protocol_language


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
    concealed = not _open_label(participant, protocol)
    if concealed and not _may_see_allocation(participant, actor):
        refuse(actor, AuditAction.READ_ALLOCATION,
               _("role '%(role)s' is blinded to allocation"), "Participant",
               participant.screening_number, role=actor.role)
    slot = RandomizationSlot.objects.filter(participant=participant).first()
    number, kit = (slot.number, slot.kit_code) if slot else ("", "")
    if slot is not None and slot.treatment_sequence:
        view = _crossover_view(participant, protocol, slot.treatment_sequence, number, kit)
    else:
        arm = _arm(participant, protocol, slot)
        view = AllocationView(participant.screening_number, participant.part, arm,
                              protocol.arm(arm).label, number, kit)
    if concealed:
        audited_read(actor, AuditAction.READ_ALLOCATION, object_type="Participant",
                     subjects=[participant.screening_number])
    return view


def allocation_if_visible(participant: Participant, actor: Actor) -> AllocationView | None:
    """The allocation for a page that shows it only to whoever may see it: None (and no
    refusal recorded, nothing having been asked) for anyone else or before there is one."""
    participant = _current(participant, actor)
    if not (_open_label(participant, actor.protocol())
            or _may_see_allocation(participant, actor)):
        return None
    try:
        return access_allocation(participant, actor)
    except StateConflictError:
        return None


def _may_see_allocation(participant: Participant, actor: Actor) -> bool:
    return actor.sees("allocation") or Unblinding.objects.filter(
        participant=participant, by=actor.user).exists()


def refuse(actor: Actor, read: AuditAction, message: str | Promise, object_type: str,
           *subjects: str, **values: object) -> None:
    """Refuse a read: audited as ``read`` in the protocol's words, raised as NotPermittedError
    worded for whoever reads it (``message`` is a template with ``values``)."""
    error = NotPermittedError(message, field="", **values)
    # The trail in the protocol's own words, as an action stores it, whoever's page asked.
    with in_protocol_language():
        refused = error.message
    refused_read(actor, read, refused, object_type=object_type, subjects=subjects)
    raise error


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
        refuse(actor, AuditAction.READ_PREPARATION,
               _("role '%(role)s' may not see preparations"), "Kit", kit_code,
               role=actor.role)
    slot = RandomizationSlot.objects.filter(
        kit_code=kit_code,
        randomization_list__study__protocol_id=current_study().protocol_id).select_related(
        "participant").first()
    if slot is None or slot.participant is None:
        raise NotFoundError(_("no allocated kit with this code"), field="kit_code")
    actor.require_site(slot.participant)
    protocol = actor.protocol()
    arms = _arm_by_administration(protocol, slot.participant, slot)
    preparations = {a.id: a.by_arm[arms[a.id]].preparation
                    for a in protocol.design.administrations if arms.get(a.id) in a.by_arm}
    audited_read(actor, AuditAction.READ_PREPARATION, object_type="Kit", subjects=[kit_code])
    return preparations


def access_procedure_type(participant: Participant, administration_id: str,
                          actor: Actor) -> str:
    """``real``, ``sham`` or ``none`` for this participant's administration (in a crossover
    part, for the arm of the administration's period)."""
    participant = _current(participant, actor)
    protocol = actor.protocol()
    concealed = not _open_label(participant, protocol)
    if concealed and not actor.sees("procedure_type"):
        refuse(actor, AuditAction.READ_PROCEDURE_TYPE,
               _("role '%(role)s' may not see the procedure type"), "Participant",
               participant.screening_number, role=actor.role)
    try:
        administration = protocol.administration(administration_id)
    except KeyError:
        raise NotFoundError(_("no administration '%(administration)s'"),
                            field="administration_id", administration=administration_id) from None
    slot = RandomizationSlot.objects.filter(participant=participant).first()
    arm = _arm_by_administration(protocol, participant, slot).get(administration.id)
    if arm is None:
        raise StateConflictError(_("%(administration)s is given in no period of the "
                                   "participant's sequence"), field="administration_id",
                                 administration=administration.name)
    if concealed:
        audited_read(actor, AuditAction.READ_PROCEDURE_TYPE, object_type="Participant",
                     subjects=[f"{participant.screening_number} {administration.id}"])
    return administration.by_arm[arm].procedure


def procedure_of(participant: Participant, protocol: Protocol,
                 administration_id: str) -> str | None:
    """The procedure type of the participant's administration, unaudited and unchecked: only
    for an action writing what it already knows into a record with its own readers (the dose
    fills its form, ``actions.dose_forms``), never for showing anyone. None where the
    administration carries no arm for the participant."""
    participant = Participant.objects.get(pk=participant.pk)  # as stored, not as passed
    slot = RandomizationSlot.objects.filter(participant=participant).first()
    try:
        arm = _arm_by_administration(protocol, participant, slot).get(administration_id)
    except StateConflictError:  # no allocation yet
        return None
    by_arm = protocol.administration(administration_id).by_arm
    return by_arm[arm].procedure if arm in by_arm else None


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
        refuse(actor, AuditAction.READ_RANDOMIZATION_LIST,
               _("role '%(role)s' may not see the randomization list"),
               "RandomizationList", role=actor.role)
    slots = RandomizationSlot.objects.filter(
        randomization_list__study__protocol_id=current_study().protocol_id).select_related(
        "participant", "randomization_list").order_by(
        "stratum", "sequence")
    protocol = actor.protocol()
    rows = [{"stratum": s.stratum, "sequence": s.sequence, "block": s.block,
            "block_size": s.block_size, "randomization_number": s.number, "arm": s.arm,
            "treatment_sequence": s.treatment_sequence,
            "arms_by_period": _periods_of(protocol, s), "kit_code": s.kit_code,
            "participant": s.participant.screening_number if s.participant else None,
            "allocated_at": s.allocated_at, "levels": s.levels, "decision": s.decision}
            for s in slots]
    audited_read(actor, AuditAction.READ_RANDOMIZATION_LIST, object_type="RandomizationList",
                 rows=len(rows))
    return rows


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
    raise StateConflictError(_("the participant has no allocation yet"), field="participant")


@dataclass(frozen=True)
class Exposure:
    """Which arm a participant receives when: one arm for a parallel participant; for a
    crossover participant, the arm of each period and the day they entered it."""

    part: Part
    arm: str = ""
    """A parallel participant's arm (blank for a crossover participant)."""
    sequence: str = ""
    starts: Mapping[str, dt.date] = field(default_factory=dict)
    randomized_on: dt.date | None = None
    """The day of allocation (None: an open-label single-arm part, enrolled, not randomized)."""

    def arm_on(self, day: dt.date) -> str:
        """The arm received on ``day`` (a crossover participant: that day's period's arm)."""
        return arm_on(self.part, self.sequence, self.starts, day) if self.sequence else self.arm

    @property
    def arms(self) -> tuple[str, ...]:
        """Every arm received so far, in order: a crossover participant's arms of the periods
        entered (the first period's arm before it starts), else the one arm."""
        return self.arms_by(None)

    def arms_by(self, day: dt.date | None) -> tuple[str, ...]:
        """Every arm received by the end of ``day`` (None: so far), as ``arms``."""
        if not self.sequence:
            return (self.arm,)
        entered = [arm for period, arm in arms_by_period(self.part, self.sequence)
                   if period in self.starts and (day is None or self.starts[period] <= day)]
        return tuple(entered) or (self.part.arm_in_period(self.sequence,
                                                          self.part.periods[0].id),)


def may_read_arms(actor: Actor) -> bool:
    """Whether ``access_arms`` and ``access_exposure`` answer this actor (asked by pages that
    show figures by arm only to those who may read every participant's arm)."""
    return actor.sees("allocation")


def access_arms(actor: Actor, on: dt.date | None = None) -> dict[int, str]:
    """Participant id → arm id on ``on`` (default today) of every participant with an arm, at
    the actor's sites: a crossover participant is counted in the arm of the period they are
    in on that date.

    For enrolment by arm and for preparing a data cut: roles that see ``allocation`` (a
    committee that sees ``arm_summaries`` only reads frozen data cuts). Open-label
    single-arm parts are included (their arm is not concealed). A fixed number of queries,
    whatever the number of participants.
    """
    day = on or today()
    return {pid: exposure.arm_on(day) for pid, exposure in access_exposure(actor).items()}


def access_exposure(actor: Actor) -> dict[int, Exposure]:
    """Participant id → ``Exposure`` of every participant with an arm, at the actor's sites:
    by-arm tables attribute a dated event with ``exposure.arm_on(date)`` and count a
    participant in every arm of ``exposure.arms``. Same permission as ``access_arms``."""
    if not may_read_arms(actor):
        refuse(actor, AuditAction.READ_ALLOCATION, _("role '%(role)s' may not see arms"),
               "Participant", role=actor.role)
    study, protocol = current_study(), actor.protocol()
    slots = RandomizationSlot.objects.filter(
        randomization_list__study__protocol_id=study.protocol_id, participant__isnull=False)
    enrolled = Participant.objects.filter(study__protocol_id=study.protocol_id,
                                          sequence_in_part__isnull=False)
    slots = in_scope(actor, slots, "participant")
    enrolled = in_scope(actor, enrolled)
    rows = list(slots.values_list("participant_id", "participant__part", "arm",
                                  "treatment_sequence", "allocated_at"))
    starts = period_starts([pid for pid, _, _, sequence, _ in rows if sequence])
    found = {pid: Exposure(protocol.part(part), arm, sequence, starts.get(pid, {}),
                           allocated.date() if allocated else None)
             for pid, part, arm, sequence, allocated in rows}
    single = {p.id: p for p in protocol.design.parts
              if p.masking.level == "NONE" and len(p.arms) == 1}
    for pid, part_id in enrolled.filter(part__in=single).values_list("pk", "part"):
        found.setdefault(pid, Exposure(single[part_id], single[part_id].arms[0]))
    if rows:
        audited_read(actor, AuditAction.READ_ALLOCATION, object_type="Participant",
                     every_participant=len(rows),
                     sites=scope_of(actor))
    return found


def may_read_data_cuts(actor: Actor) -> bool:
    """Tables by arm frozen at a data cut: the roles that see ``arm_summaries``."""
    return actor.sees("arm_summaries")


def access_data_cuts(actor: Actor) -> list[DataCut]:
    """Every data cut of the study, the latest first: tables by arm frozen at a date, with
    small cells withheld (trialkit.web.trial.data_cuts)."""
    if not may_read_data_cuts(actor):
        refuse(actor, AuditAction.READ_ARM_SUMMARIES,
               _("role '%(role)s' may not see tables by arm"), "DataCut", role=actor.role)
    cuts = list(DataCut.objects.filter(study__protocol_id=current_study().protocol_id)
                .order_by("-as_of", "-pk"))
    if cuts:
        audited_read(actor, AuditAction.READ_ARM_SUMMARIES, object_type="DataCut",
                     subjects=[str(c.pk) for c in cuts])
    return cuts
