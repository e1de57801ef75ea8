"""Database locks, per participant and for the whole study.

A lock freezes data: no form save, signature or query change passes while the participant or
the study is locked. Locking needs clean data — no query still open or answered, and every
form the protocol marks ``signature_required`` signed on its latest version — because a lock
is what the analysis trusts.

Unlocking a participant is allowed (a data manager, with a reason, audited) as long as the
study is not locked: late corrections before the final lock are routine. The study lock is
final: it unblinds the roles that are ``blinded_until_lock`` (Actor.sees reads
Study.locked_at), and reopening data after people have seen the allocation would let that
knowledge shape the data.
"""

from __future__ import annotations

from django.db.models import QuerySet

from trialkit.core.protocol import Protocol
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import (
    Actor,
    InvalidInputError,
    StateConflictError,
)
from trialkit.web.trial.actions.kernel import (
    WRITES_PARTICIPANT_DATA,
    Guard,
    action,
    record,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import FormRecord, Participant, Query, Signature, Study
from trialkit.web.trial.study import current_study


def lock_blockers(participants: QuerySet[Participant], protocol: Protocol) -> list[str]:
    """Why these participants' data cannot be locked yet (empty: they can)."""
    blockers = []
    unresolved = Query.objects.filter(record__participant__in=participants).exclude(
        status=Query.Status.CLOSED).count()
    if unresolved:
        blockers.append(f"{unresolved} data quer{'y is' if unresolved == 1 else 'ies are'} "
                        "not closed")
    needing = [form.id for form in protocol.forms if form.signature_required]
    unsigned = [r for r in FormRecord.objects.filter(participant__in=participants,
                                                     form_id__in=needing, latest_version__gt=0)
                if not Signature.objects.filter(version__record=r,
                                                version__number=r.latest_version).exists()]
    if unsigned:
        names = ", ".join(sorted({f"{r.form_id}" for r in unsigned}))
        blockers.append(f"{len(unsigned)} form(s) needing a signature are not signed on their "
                        f"latest version ({names})")
    return blockers


@action(AuditAction.LOCK_PARTICIPANT, permission="lock_data", guards=WRITES_PARTICIPANT_DATA,
        subject="participant")
def do_lock_participant(participant: Participant, *, actor: Actor) -> Participant:
    _refuse_if_blocked(Participant.objects.filter(pk=participant.pk), actor)
    participant.locked_at = clock.now()
    participant.save(update_fields=["locked_at"])
    record(actor, AuditAction.LOCK_PARTICIPANT, participant, old={"locked_at": None},
           new={"locked_at": participant.locked_at,
                "participant": participant.screening_number})
    return participant


@action(AuditAction.UNLOCK_PARTICIPANT, permission="lock_data",
        guards=(Guard.SITE, Guard.STUDY_UNLOCKED), subject="participant")
def do_unlock_participant(participant: Participant, reason: str, *,
                          actor: Actor) -> Participant:
    participant.locked_at = Participant.objects.select_for_update().get(
        pk=participant.pk).locked_at
    if current_study().locked_at is not None:
        raise StateConflictError("the study database is locked; it is not reopened",
                                 field="participant")
    if participant.locked_at is None:
        raise StateConflictError("this participant's data are not locked", field="participant")
    if not reason.strip():
        raise InvalidInputError("unlocking needs a reason", field="reason")
    old = participant.locked_at
    participant.locked_at = None
    participant.save(update_fields=["locked_at"])
    record(actor, AuditAction.UNLOCK_PARTICIPANT, participant, old={"locked_at": old},
           new={"locked_at": None, "participant": participant.screening_number},
           reason=reason.strip())
    return participant


@action(AuditAction.LOCK_STUDY, permission="lock_data", guards=(Guard.STUDY_UNLOCKED,))
def do_lock_study(*, actor: Actor) -> Study:
    """Lock every participant not yet locked, then the study; unblinds blinded-until-lock roles."""
    study = Study.objects.select_for_update().get(pk=current_study().pk)
    if study.locked_at is not None:
        raise StateConflictError("the study database is already locked")
    participants = Participant.objects.filter(study__protocol_id=study.protocol_id)
    _refuse_if_blocked(participants, actor)
    now = clock.now()
    newly_locked = participants.filter(locked_at__isnull=True).update(locked_at=now)
    study.locked_at = now
    study.save(update_fields=["locked_at"])
    unblinded = [role.id for role in actor.protocol().roles if role.blinded_until_lock]
    record(actor, AuditAction.LOCK_STUDY, study, old={"locked_at": None},
           new={"locked_at": now, "participants_locked_now": newly_locked,
                "roles_unblinded": unblinded}, study=study)
    return study


def _refuse_if_blocked(participants: QuerySet[Participant], actor: Actor) -> None:
    blockers = lock_blockers(participants, actor.protocol())
    if blockers:
        raise StateConflictError("cannot lock: " + "; ".join(blockers))
