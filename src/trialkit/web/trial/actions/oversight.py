"""Safety oversight: the committee's e-signed decisions, and emergency unblinding.

A committee decision is e-signed by the gate's ``signer_role`` with password re-entry; the
gates (``trialkit.core.scheduling``) read only these stored decisions. A pause decision blocks
enrolment and dosing until a later non-pause decision resumes them. The roles whose
``notified_of`` lists ``committee_decision`` are told of it (the decision, not the rationale:
a committee that has seen tables by arm may write what hints at one).

Emergency unblinding reveals one participant's arm to the person who asks, with a reason and
password re-entry. The arm is then read through ``access.access_allocation`` (the unblinding
grants it to that user for that participant only). The audit event and the notifications to
the roles whose ``notified_of`` lists ``emergency_unblinding`` say who, whom and when, never
the arm. The free-text reason stays in the audit trail only, not in the notifications,
because it might hint at the arm.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.gates import CommitteeGate
from trialkit.web.trial import access, clock
from trialkit.web.trial.actions.base import (
    Actor,
    InvalidInputError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.kernel import (
    Guard,
    action,
    record,
    reenter_password,
)
from trialkit.web.trial.actions.notifications import notify
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import (
    Participant,
    RandomizationSlot,
    SafetyDecision,
    SmcReport,
    Unblinding,
)
from trialkit.web.trial.study import current_study


@action(AuditAction.SIGN_SAFETY_DECISION, permission="decide_safety")
def do_sign_safety_decision(decision: str, rationale: str, password: str, *, actor: Actor,
                            report_sha256: str, gate_index: int = 0) -> SafetyDecision:
    """``report_sha256``: the SHA-256 of the committee report (its PDF or HTML) the decision was
    made on; it must be a report produced for this gate, and one the signer may read.

    It is required: a committee gate's decision follows the safety report produced for it
    (``do_produce_smc_report`` makes one for any gate, at any time, so even a pause has one),
    and the signed record must say which report, byte for byte, the decision was made on."""
    gate = _gate(actor.protocol(), gate_index)
    if actor.role != gate.signer_role:
        raise NotPermittedError(_("decisions of the %(committee)s are signed by '%(role)s'"),
                                committee=gate.committee, role=gate.signer_role)
    reenter_password(actor, password, "sign a committee decision")
    if decision not in gate.decisions:
        raise InvalidInputError(_("decision is one of %(decisions)s"), field="decision",
                                decisions=", ".join(gate.decisions))
    if not rationale.strip():
        raise InvalidInputError(_("a rationale is required"), field="rationale")
    sha256 = report_sha256.strip().lower()
    report = _report(actor, gate_index, sha256)
    signed = SafetyDecision.objects.create(
        study=current_study(), gate_index=gate_index, decision=decision,
        rationale=rationale.strip(), signed_by=actor.user, signer_role=actor.role,
        printed_name=actor.user.profile.printed_name,
        meaning=f"Decision of the {gate.committee}", signed_at=clock.now(), report=report,
        report_sha256=sha256)
    notified = _notify_decision(actor, gate, signed)
    record(actor, AuditAction.SIGN_SAFETY_DECISION, signed,
           new={"committee": gate.committee, "decision": decision,
                "printed_name": signed.printed_name, "notified_roles": notified,
                "report_sha256": signed.report_sha256, "report_session": report.session},
           reason=rationale)
    return signed


def _report(actor: Actor, gate_index: int, sha256: str) -> SmcReport:
    """The produced report of this gate whose PDF or HTML has this SHA-256."""
    if not sha256:
        raise InvalidInputError(_("report_sha256 is required: the SHA-256 of the safety report "
                                  "(PDF or HTML) produced for this committee gate that the "
                                  "decision is made on"), field="report_sha256")
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise InvalidInputError(_("report_sha256 is the 64 hexadecimal digits of the report's "
                                  "SHA-256"), field="report_sha256")
    found = SmcReport.objects.filter(
        Q(pdf_sha256=sha256) | Q(html_sha256=sha256), gate_index=gate_index,
        study__protocol_id=current_study().protocol_id).order_by("pk").first()
    if found is None:
        raise InvalidInputError(_("no committee report with SHA-256 %(sha256)s was produced for "
                                  "committee gate %(gate)s"),
                                field="report_sha256", sha256=sha256, gate=gate_index)
    if found.session == "closed" and not access.may_read_data_cuts(actor):
        raise InvalidInputError(_("report_sha256 names a closed-session report, which role "
                                  "'%(role)s' may not read"), field="report_sha256",
                                role=actor.role)
    return found


def _notify_decision(actor: Actor, gate: CommitteeGate, signed: SafetyDecision) -> list[str]:
    return notify(
        actor.protocol(), "committee_decision",
        f"Decision of the {gate.committee}: {signed.decision}",
        f"The {gate.committee} decided '{signed.decision}', e-signed by {signed.printed_name} "
        f"({actor.protocol().role(actor.role).name}) at "
        f"{signed.signed_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC. The rationale "
        "is kept with the signed decision.", signed.signed_at)


@action(AuditAction.UNBLIND_PARTICIPANT, permission="emergency_unblind",
        guards=(Guard.SITE,), subject="participant")
def do_unblind_participant(participant: Participant, reason: str, password: str, *,
                           actor: Actor) -> Unblinding:
    reenter_password(actor, password, "unblind a participant")
    if not reason.strip():
        raise InvalidInputError(_("a reason is required"), field="reason")
    if not RandomizationSlot.objects.filter(participant=participant).exists():
        raise StateConflictError(_("the participant has not been randomized: there is no "
                                   "blinded allocation"), field="participant")
    unblinding = Unblinding.objects.create(participant=participant, by=actor.user,
                                           reason=reason.strip(), at=clock.now())
    notified = _notify(actor.protocol(), participant, actor, unblinding)
    record(actor, AuditAction.UNBLIND_PARTICIPANT, unblinding,
           new={"participant": participant.screening_number, "site": participant.site.code,
                "notified_roles": notified},
           reason=reason)
    return unblinding


def _notify(protocol: Protocol, participant: Participant, actor: Actor,
            unblinding: Unblinding) -> list[str]:
    subject = f"Emergency unblinding of participant {participant.screening_number}"
    body = (f"Participant {participant.screening_number} at site {participant.site.code} was "
            f"unblinded in an emergency by {actor.user.profile.printed_name} "
            f"({protocol.role(actor.role).name}) at "
            f"{unblinding.at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC. The reason is in "
            "the audit "
            "trail; the allocation is not stated here.")
    return notify(protocol, "emergency_unblinding", subject, body, unblinding.at,
                  participant.site)


def _gate(protocol: Protocol, gate_index: int) -> CommitteeGate:
    gates = protocol.gates.committee
    if not 0 <= gate_index < len(gates):
        raise InvalidInputError(_("the protocol has no such committee gate"),
                                field="gate_index")
    return gates[gate_index]
