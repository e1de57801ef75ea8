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

Because it is final, the study lock takes two people and is refused mid-trial. One person with
the lock permission requests it (``do_request_study_lock``, password re-entered, a reason); a
different person with the permission confirms it (``do_lock_study``, password re-entered, the
trial's id typed out as the last check that they mean this trial); either may withdraw a
pending request. Both the request and the lock are refused while any participant is still in
the trial (screening, consented or enrolled: not yet completed, withdrawn or otherwise ended),
any query is open or answered, or any form that needs a signature is unsigned on its latest
version (``study_lock_blockers``).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from trialkit.core.protocol import Protocol
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import (
    Actor,
    InvalidInputError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.kernel import (
    WRITES_PARTICIPANT_DATA,
    Guard,
    action,
    record,
    reenter_password,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import (
    FormRecord,
    Participant,
    Query,
    Signature,
    Study,
    StudyLockRequest,
)
from trialkit.web.trial.study import current_study
from trialkit.web.trial.wording import joined_when_read

STILL_IN_THE_TRIAL = (Participant.Status.SCREENING, Participant.Status.CONSENTED,
                      Participant.Status.ENROLLED)
"""Statuses that block the study lock: the participant has not completed, withdrawn, failed
screening or otherwise ended."""


def _open_queries(count: int) -> str:
    return ngettext("%(count)s data query is not closed",
                    "%(count)s data queries are not closed", count) % {"count": count}


def _unsigned_forms(count: int, forms: str) -> str:
    return ngettext("%(count)s form needing a signature is not signed on its latest version "
                    "(%(forms)s)", "%(count)s forms needing a signature are not signed on "
                    "their latest version (%(forms)s)", count) % {"count": count, "forms": forms}


def _still_in_the_trial(count: int) -> str:
    return ngettext("%(count)s participant is still in the trial (not completed, withdrawn or "
                    "otherwise ended)", "%(count)s participants are still in the trial (not "
                    "completed, withdrawn or otherwise ended)", count) % {"count": count}


# Worded where they are read: the reader's language on the lock page, the protocol's in the
# API and in a refusal's audit event.
open_queries, unsigned_forms, still_in_the_trial = (
    lazy(_open_queries, str), lazy(_unsigned_forms, str), lazy(_still_in_the_trial, str))


def lock_blockers(participants: QuerySet[Participant], protocol: Protocol) -> list[Promise]:
    """Why these participants' data cannot be locked yet (empty: they can)."""
    blockers = []
    unresolved = Query.objects.filter(record__participant__in=participants).exclude(
        status=Query.Status.CLOSED).count()
    if unresolved:
        blockers.append(open_queries(unresolved))
    needing = [form.id for form in protocol.forms if form.signature_required]
    unsigned = [r for r in FormRecord.objects.filter(participant__in=participants,
                                                     form_id__in=needing, latest_version__gt=0)
                if not Signature.objects.filter(version__record=r,
                                                version__number=r.latest_version).exists()]
    if unsigned:
        names = ", ".join(sorted({protocol.form(r.form_id).name for r in unsigned}))
        blockers.append(unsigned_forms(len(unsigned), names))
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
        raise StateConflictError(_("the study database is locked; it is not reopened"),
                                 field="participant")
    if participant.locked_at is None:
        raise StateConflictError(_("this participant's data are not locked"),
                                 field="participant")
    if not reason.strip():
        raise InvalidInputError(_("unlocking needs a reason"), field="reason")
    old = participant.locked_at
    participant.locked_at = None
    participant.save(update_fields=["locked_at"])
    record(actor, AuditAction.UNLOCK_PARTICIPANT, participant, old={"locked_at": old},
           new={"locked_at": None, "participant": participant.screening_number},
           reason=reason.strip())
    return participant


def study_lock_blockers(study: Study, protocol: Protocol) -> list[Promise]:
    """Why the study cannot be locked yet (empty: it can)."""
    participants = Participant.objects.filter(study__protocol_id=study.protocol_id)
    blockers = []
    going = participants.filter(status__in=STILL_IN_THE_TRIAL).count()
    if going:
        blockers.append(still_in_the_trial(going))
    return blockers + lock_blockers(participants, protocol)


def pending_study_lock_request(study: Study) -> StudyLockRequest | None:
    return StudyLockRequest.objects.filter(study__protocol_id=study.protocol_id,
                                           outcome="").select_related("requested_by").first()


@action(AuditAction.REQUEST_STUDY_LOCK, permission="lock_data", guards=(Guard.STUDY_UNLOCKED,))
def do_request_study_lock(reason: str, password: str, *, actor: Actor) -> StudyLockRequest:
    """The first of two people: asks for the study lock, to be confirmed by another."""
    reenter_password(actor, password, "request the study lock")
    if not reason.strip():
        raise InvalidInputError(_("a request for the study lock needs a reason"),
                                field="reason")
    study = Study.objects.select_for_update().get(pk=current_study().pk)
    pending = pending_study_lock_request(study)
    if pending is not None:
        raise StateConflictError(_("%(user)s already requested the study lock; it awaits a "
                                   "second person"), field="request",
                                 user=pending.requested_by.get_username())
    _refuse_if_study_blocked(study, actor)
    request = StudyLockRequest.objects.create(
        study=study, requested_by=actor.user, requested_role=actor.role,
        requested_at=clock.now(), reason=reason.strip())
    record(actor, AuditAction.REQUEST_STUDY_LOCK, request,
           new={"requested_by": actor.name, "requested_at": request.requested_at},
           reason=request.reason, study=study)
    return request


@action(AuditAction.WITHDRAW_STUDY_LOCK_REQUEST, permission="lock_data",
        guards=(Guard.STUDY_UNLOCKED,))
def do_withdraw_study_lock_request(reason: str, *, actor: Actor) -> StudyLockRequest:
    """Either person withdraws a pending request (nothing is locked)."""
    if not reason.strip():
        raise InvalidInputError(_("withdrawing the request needs a reason"), field="reason")
    study = Study.objects.select_for_update().get(pk=current_study().pk)
    request = pending_study_lock_request(study)
    if request is None:
        raise StateConflictError(_("no study lock request is pending"), field="request")
    request.outcome, request.decided_by, request.decided_at = "withdrawn", actor.user, clock.now()
    request.save(update_fields=["outcome", "decided_by", "decided_at"])
    record(actor, AuditAction.WITHDRAW_STUDY_LOCK_REQUEST, request,
           old={"outcome": "pending"}, new={"outcome": "withdrawn"}, reason=reason.strip(),
           study=study)
    return request


@action(AuditAction.LOCK_STUDY, permission="lock_data", guards=(Guard.STUDY_UNLOCKED,))
def do_lock_study(confirmation: str, password: str, *, actor: Actor) -> Study:
    """The second person confirms a pending request: lock every participant not yet locked,
    then the study; unblinds blinded-until-lock roles. ``confirmation`` is the trial's id,
    typed."""
    trial_id = actor.protocol().identity.id
    if not isinstance(confirmation, str) or confirmation.strip() != trial_id:
        raise InvalidInputError(_("type the trial's id (%(trial_id)s) to confirm the study "
                                  "lock"), field="confirmation", trial_id=trial_id)
    reenter_password(actor, password, "confirm the study lock")
    study = Study.objects.select_for_update().get(pk=current_study().pk)
    if study.locked_at is not None:
        raise StateConflictError(_("the study database is already locked"))
    request = pending_study_lock_request(study)
    if request is None:
        raise StateConflictError(_("nobody has requested the study lock: one person with the "
                                   "lock permission requests it, a different one confirms it"),
                                 field="request")
    if request.requested_by_id == actor.user.pk:
        raise NotPermittedError(_("the study lock is confirmed by a second person, not by the "
                                  "one who requested it"), field="request")
    _refuse_if_study_blocked(study, actor)
    now = clock.now()
    participants = Participant.objects.filter(study__protocol_id=study.protocol_id)
    newly_locked = participants.filter(locked_at__isnull=True).update(locked_at=now)
    study.locked_at = now
    study.save(update_fields=["locked_at"])
    request.outcome, request.decided_by, request.decided_at = "locked", actor.user, now
    request.save(update_fields=["outcome", "decided_by", "decided_at"])
    unblinded = [role.id for role in actor.protocol().roles if role.blinded_until_lock]
    record(actor, AuditAction.LOCK_STUDY, study, old={"locked_at": None},
           new={"locked_at": now, "participants_locked_now": newly_locked,
                "roles_unblinded": unblinded, "requested_by": request.requested_by.username,
                "confirmed_by": actor.name}, study=study)
    return study


def _refuse_if_study_blocked(study: Study, actor: Actor) -> None:
    blockers = study_lock_blockers(study, actor.protocol())
    if blockers:
        raise StateConflictError(_("cannot lock the study: %(blockers)s"),
                                 blockers=joined_when_read(blockers, "; "))


def _refuse_if_blocked(participants: QuerySet[Participant], actor: Actor) -> None:
    blockers = lock_blockers(participants, actor.protocol())
    if blockers:
        raise StateConflictError(_("cannot lock: %(blockers)s"),
                                 blockers=joined_when_read(blockers, "; "))
