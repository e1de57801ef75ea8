"""Safety oversight: the committee's e-signed decisions, and emergency unblinding.

A committee decision is e-signed by the gate's ``signer_role`` with password re-entry; the
gates (``trialkit.core.scheduling``) read only these stored decisions. A pause decision blocks
enrolment and dosing until a later non-pause decision resumes them.

Emergency unblinding reveals one participant's arm to the investigator who asks, with a reason
and password re-entry. The arm is then read through ``access.access_allocation`` (the unblinding
grants it to that user for that participant only). The audit event and the notifications to
the sponsor and the safety committee say who, whom and when, never the arm. The free-text reason
stays in the audit trail only, not in the notifications, because it might hint at the arm.
"""

from __future__ import annotations

from django.utils import timezone

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.gates import CommitteeGate
from trialkit.web.trial.actions.accounts import check_password_again
from trialkit.web.trial.actions.base import (
    Actor,
    InvalidInputError,
    NotPermittedError,
    StateConflictError,
    audited,
    record,
)
from trialkit.web.trial.models import (
    Notification,
    Participant,
    RandomizationSlot,
    SafetyDecision,
    Unblinding,
)
from trialkit.web.trial.study import current_study


@audited("sign_safety_decision")
def do_sign_safety_decision(decision: str, rationale: str, password: str, *, actor: Actor,
                            gate_index: int = 0) -> SafetyDecision:
    actor.require("decide_safety")
    gate = _gate(actor.protocol(), gate_index)
    if actor.role != gate.signer_role:
        raise NotPermittedError(f"decisions of the {gate.committee} are signed by "
                                f"'{gate.signer_role}'")
    check_password_again(actor, password)
    if decision not in gate.decisions:
        raise InvalidInputError(f"decision is one of {', '.join(gate.decisions)}",
                                field="decision")
    if not rationale.strip():
        raise InvalidInputError("a rationale is required", field="rationale")
    signed = SafetyDecision.objects.create(
        study=current_study(), gate_index=gate_index, decision=decision,
        rationale=rationale.strip(), signed_by=actor.user, signer_role=actor.role,
        printed_name=actor.user.profile.printed_name,
        meaning=f"Decision of the {gate.committee}", signed_at=timezone.now())
    record(actor, "sign_safety_decision", signed,
           new={"committee": gate.committee, "decision": decision,
                "printed_name": signed.printed_name}, reason=rationale)
    return signed


@audited("unblind_participant")
def do_unblind_participant(participant: Participant, reason: str, password: str, *,
                           actor: Actor) -> Unblinding:
    actor.require("emergency_unblind")
    actor.require_site(participant)
    check_password_again(actor, password)
    if not reason.strip():
        raise InvalidInputError("a reason is required", field="reason")
    if not RandomizationSlot.objects.filter(participant=participant).exists():
        raise StateConflictError("the participant has not been randomized: there is no "
                                 "blinded allocation", field="participant")
    unblinding = Unblinding.objects.create(participant=participant, by=actor.user,
                                           reason=reason.strip(), at=timezone.now())
    _notify(actor.protocol(), participant, actor, unblinding)
    record(actor, "unblind_participant", unblinding,
           new={"participant": participant.screening_number, "site": participant.site.code},
           reason=reason)
    return unblinding


def notified_roles(protocol: Protocol) -> tuple[str, ...]:
    """Who hears of an unblinding: the safety committee's roles and study-wide observers.

    Committee roles are those that review or decide safety; observers (e.g. the sponsor) are
    roles working across sites with no permission to act.
    """
    return tuple(r.id for r in protocol.roles
                 if {"review_safety", "decide_safety"} & set(r.can)
                 or (not r.site_scoped and not r.can))


def _notify(protocol: Protocol, participant: Participant, actor: Actor,
            unblinding: Unblinding) -> None:
    subject = f"Emergency unblinding of participant {participant.screening_number}"
    body = (f"Participant {participant.screening_number} at site {participant.site.code} was "
            f"unblinded in an emergency by {actor.user.profile.printed_name} ({actor.role}) "
            f"at {unblinding.at.isoformat(timespec='minutes')}. The reason is in the audit "
            "trail; the allocation is not stated here.")
    Notification.objects.bulk_create([
        Notification(recipient_role=role, subject=subject, body=body, created_at=unblinding.at)
        for role in notified_roles(protocol)])


def _gate(protocol: Protocol, gate_index: int) -> CommitteeGate:
    gates = protocol.gates.committee
    if not 0 <= gate_index < len(gates):
        raise InvalidInputError("the protocol has no such committee gate", field="gate_index")
    return gates[gate_index]
