"""Blinded facts for the roles that may see them, emergency unblinding, committee decisions
and notifications.

Every blinded fact is read through ``trialkit.web.trial.access``, which refuses (403) a role
whose protocol role does not ``see`` it; nothing else in the API reads allocation tables.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from trialkit.web.api.auth import actor_of
from trialkit.web.api.redaction import redactor_for
from trialkit.web.api.schemas import (
    AdministrationId,
    Id,
    InSchema,
    KitCode,
    TextInput,
    WholeNumber,
    responses,
)
from trialkit.web.trial import access
from trialkit.web.trial.actions import oversight, preparations
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.notifications import notifications_for
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.lookups import participant_for
from trialkit.web.trial.models import SafetyDecision

router = Router(tags=["blinding and oversight"])


class UnblindedPeriodArmOut(Schema):
    period: str
    arm: str


class AllocationOut(Schema):
    screening_number: str
    part: str
    arm: str
    """For a crossover participant, the arm of the current period."""
    arm_label: str
    randomization_number: str
    kit_code: str
    sequence: str = ""
    """A crossover participant's treatment sequence (blank in a parallel part)."""
    periods: list[UnblindedPeriodArmOut] = Field(default_factory=list)
    description: str
    """The whole allocation in one sentence (the sequence period by period in a crossover)."""


class ProcedureOut(Schema):
    administration_id: str
    procedure_type: str
    """real, sham or none."""


class PreparationOut(Schema):
    kit_code: str
    preparations: dict[str, str]
    """administration id → what to prepare."""


class PreparationIn(InSchema):
    administration_id: Annotated[str, TextInput("administration_id")]


class PreparationConfirmedOut(Schema):
    kit_code: str
    administration_id: str
    prepared_at: dt.datetime
    prepared_by: str


class UnblindIn(InSchema):
    reason: Annotated[str, TextInput("reason")]
    password: Annotated[str, TextInput("password")]


class DecisionIn(InSchema):
    decision: Annotated[str, TextInput("decision")]
    rationale: Annotated[str, TextInput("rationale")]
    password: Annotated[str, TextInput("password")]
    gate_index: Annotated[int, WholeNumber("gate_index", 0, 999,
                                           checks="a committee gate of the protocol")] = 0
    report_sha256: Annotated[str, TextInput("report_sha256")]
    """The report the decision is made on: required (a decision follows a report)."""


class DecisionOut(Schema):
    gate_index: int
    decision: str
    rationale: str
    signer_role: str
    printed_name: str
    meaning: str
    signed_at: dt.datetime
    report_sha256: str
    """The SHA-256 of the report the decision was made on ("" for one signed before decisions
    recorded their report)."""


class NotificationOut(Schema):
    subject: str
    body: str
    created_at: dt.datetime


def _allocation_out(view: access.AllocationView) -> AllocationOut:
    return AllocationOut(screening_number=view.screening_number, part=view.part, arm=view.arm,
                         arm_label=view.arm_label,
                         randomization_number=view.randomization_number,
                         kit_code=view.kit_code, sequence=view.sequence,
                         periods=[UnblindedPeriodArmOut(period=p.period, arm=p.arm)
                                  for p in view.periods],
                         description=view.description)


def _decision_out(d: SafetyDecision, actor: Actor) -> DecisionOut:
    # The rationale of a committee that read tables by arm may hint at one (redaction.py).
    rationale = redactor_for(actor).text(AuditAction.SIGN_SAFETY_DECISION, d.rationale)
    return DecisionOut(gate_index=d.gate_index, decision=d.decision, rationale=rationale,
                       signer_role=d.signer_role, printed_name=d.printed_name,
                       meaning=d.meaning, signed_at=d.signed_at, report_sha256=d.report_sha256)


@router.get("/participants/{participant_id}/allocation", response=responses(AllocationOut))
def allocation(request: HttpRequest, participant_id: Id) -> AllocationOut:
    """The arm: for unblinded roles, open-label parts, and an investigator who unblinded."""
    actor = actor_of(request)
    return _allocation_out(access.access_allocation(participant_for(actor, participant_id),
                                                    actor))


@router.get("/participants/{participant_id}/administrations/{administration_id}/procedure-type",
            response=responses(ProcedureOut))
def procedure_type(request: HttpRequest, participant_id: Id,
                   administration_id: AdministrationId) -> ProcedureOut:
    actor = actor_of(request)
    kind = access.access_procedure_type(participant_for(actor, participant_id),
                                        administration_id, actor)
    return ProcedureOut(administration_id=administration_id, procedure_type=kind)


@router.get("/kits/{kit_code}/preparation", response=responses(PreparationOut))
def preparation(request: HttpRequest, kit_code: KitCode) -> PreparationOut:
    return PreparationOut(kit_code=kit_code,
                          preparations=access.access_preparation(kit_code, actor_of(request)))


@router.post("/kits/{kit_code}/preparation", response=responses(PreparationConfirmedOut, 201))
def confirm_preparation(request: HttpRequest, kit_code: KitCode,
                        body: PreparationIn) -> Status[PreparationConfirmedOut]:
    """The preparing role confirms the kit is ready for an administration (never says what
    was prepared)."""
    done = preparations.do_confirm_preparation(kit_code, body.administration_id,
                                               actor=actor_of(request))
    return Status(201, PreparationConfirmedOut(
        kit_code=done.kit_code, administration_id=done.administration_id,
        prepared_at=done.prepared_at, prepared_by=done.prepared_by.get_username()))


@router.get("/randomization/list/slots", response=responses(list[dict[str, Any]]))
def slots(request: HttpRequest) -> list[dict[str, Any]]:
    """The whole list with arms: only for roles that see the randomization list."""
    return access.access_randomization_list(actor_of(request))


@router.post("/participants/{participant_id}/unblinding", response=responses(AllocationOut))
def unblind(request: HttpRequest, participant_id: Id, body: UnblindIn) -> AllocationOut:
    """Emergency unblinding (password re-entry, reason); answers with the arm."""
    actor = actor_of(request)
    participant = participant_for(actor, participant_id)
    oversight.do_unblind_participant(participant, body.reason, body.password, actor=actor)
    return _allocation_out(access.access_allocation(participant, actor))


@router.get("/safety/decisions", response=responses(list[DecisionOut]))
def decisions(request: HttpRequest) -> list[DecisionOut]:
    """Every committee decision; the rationale only for roles that see tables by arm or
    allocations."""
    actor = actor_of(request)
    return [_decision_out(d, actor) for d in SafetyDecision.objects.order_by("signed_at", "id")]


@router.post("/safety/decisions", response=responses(DecisionOut, 201))
def decide(request: HttpRequest, body: DecisionIn) -> Status[DecisionOut]:
    signed = oversight.do_sign_safety_decision(body.decision, body.rationale, body.password,
                                               actor=actor_of(request),
                                               gate_index=body.gate_index,
                                               report_sha256=body.report_sha256)
    return Status(201, _decision_out(signed, actor_of(request)))


@router.get("/notifications", response=responses(list[NotificationOut]))
def notifications(request: HttpRequest) -> list[NotificationOut]:
    """Notifications addressed to the actor's role at their sites (and study-wide ones),
    newest first."""
    rows = notifications_for(actor_of(request))
    return [NotificationOut(subject=n.subject, body=n.body, created_at=n.created_at)
            for n in rows[:200]]
