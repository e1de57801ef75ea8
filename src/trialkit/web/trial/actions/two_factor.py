"""The second factor at sign-in: TOTP codes (RFC 6238, trialkit.web.trial.totp) and one-time
recovery codes stored hashed.

Who needs one follows from the protocol (trialkit.web.trial.account_policy): anyone holding a
role that can unblind, sign, decide, manage users or the randomization list, or that sees an
unblinded fact; and anyone who enrolled of their own accord. Enrolment is part of signing in:
after the right password, a person who needs a second factor and has none is given a secret,
and the first code from it confirms the enrolment and returns the recovery codes (shown once).

The sign-in steps here are anonymous actions: their callers have checked the password in the
same request (the API) or in the same pending sign-in (the pages, ``trialkit.web.signin``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from trialkit.web.trial import clock, totp
from trialkit.web.trial.account_policy import needs_approval, needs_second_factor, roles_of
from trialkit.web.trial.actions.base import (
    ActionError,
    Actor,
    InvalidInputError,
    NotPermittedError,
    StateConflictError,
    ThrottledError,
)
from trialkit.web.trial.actions.kernel import (
    action,
    count_reentry_failure,
    is_locked,
    record,
    reenter_password,
)
from trialkit.web.trial.actions.throttle import blocked, count_source_failure
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import Membership, Profile, RecoveryCode
from trialkit.web.trial.sealed import UnsealError, seal, unseal
from trialkit.web.trial.study import current_study, protocol_of


def _held_roles(user: User) -> list[str]:
    return list(Membership.objects.filter(user=user, active=True).values_list("role", flat=True))


def second_factor_needed(user: User) -> bool:
    if enrolled(user):
        return True
    return any(needs_second_factor(r)
               for r in roles_of(protocol_of(current_study()), _held_roles(user)))


def holds_guarded_role(user: User) -> bool:
    """Whether the user holds a role whose grant takes a second administrator."""
    return any(needs_approval(r)
               for r in roles_of(protocol_of(current_study()), _held_roles(user)))


def enrolled(user: User) -> bool:
    return Profile.objects.filter(user=user, totp_confirmed_at__isnull=False).exists()


def provisioning_uri(user: User, secret: str) -> str:
    return totp.provisioning_uri(secret, user.get_username(), settings.TRIALKIT_TOTP_ISSUER)


@action(AuditAction.START_TWO_FACTOR, anonymous=True)
def do_start_two_factor(user: User) -> str:
    """Propose a new secret to a person not yet enrolled (a new proposal replaces an
    unconfirmed one); returns it for the authenticator app. The secret is never audited."""
    profile = Profile.objects.select_for_update().get(user=user)
    if profile.totp_confirmed_at is not None:
        raise StateConflictError(_("a second factor is already enrolled; use its code"),
                                 field="code")
    secret = totp.new_secret()
    profile.totp_secret = seal(secret, purpose=SEALED_FOR, owner=_owner(user.pk))
    profile.save(update_fields=["totp_secret"])
    record(None, AuditAction.START_TWO_FACTOR, user, who=user.username)
    return secret


SEALED_FOR = "totp-secret"
"""What second-factor seeds are sealed for: names their key (sealed.py)."""


def _owner(user_pk: int) -> str:
    return f"user:{user_pk}"


def stored_totp_secret(profile: Profile) -> str:
    """The profile's second-factor seed in clear (blank: none started); it is stored sealed
    with a key outside the database (sealed.py)."""
    if not profile.totp_secret:
        return ""
    try:
        return unseal(profile.totp_secret, purpose=SEALED_FOR, owner=_owner(profile.user_id))
    except UnsealError:
        raise StateConflictError(
            _("this second factor was set up under another server key and cannot be read; ask "
              "an administrator to reset it (or restore the old key as a fallback)"),
            field="code") from None


def do_verify_second_factor(user: User, code: str, *, source: str = "") -> list[str]:
    """Check a TOTP or recovery code at sign-in. Returns the new recovery codes when the code
    confirmed an enrolment (shown once), else an empty list. Wrong codes count toward the
    account's lock (only someone past the password gets here) and the address's backoff."""
    codes, refusal = _attempt_second_factor(user, code, source)
    if refusal is not None:
        raise refusal
    return codes


@action(AuditAction.VERIFY_SECOND_FACTOR, anonymous=True)
def _attempt_second_factor(user: User, code: str,
                           source: str) -> tuple[list[str], ActionError | None]:
    now = clock.now()
    who = user.get_username()
    seen: dict[str, object] = {"source": source or None}
    if blocked(source, now):
        record(None, AuditAction.SIGN_IN_REFUSED, user, who=who,
               new={"why": "too many failures from this address", **seen})
        return [], ThrottledError(_("too many failures from this address; try again later"))
    if is_locked(user) or not user.is_active:
        record(None, AuditAction.SIGN_IN_REFUSED, user, who=who, new={"why": "locked", **seen})
        return [], NotPermittedError(_("this account is locked after repeated failures; try "
                                       "later or ask an administrator"), field="code")
    profile = Profile.objects.select_for_update().get(user=user)
    if not profile.totp_secret:
        record(None, AuditAction.SIGN_IN_REFUSED, user, who=who,
               new={"why": "second factor not enrolled", **seen})
        return [], StateConflictError(_("enrol a second factor first"), field="code")
    step = totp.matching_step(stored_totp_secret(profile), code, now,
                              after=profile.totp_last_step)
    if step is not None:
        return _accepted_code(user, profile, step, seen), None
    if profile.totp_confirmed_at is not None and _use_recovery_code(user, code, seen):
        return [], None
    locked = count_reentry_failure(user)
    count_source_failure(source, now)
    record(None, AuditAction.SECOND_FACTOR_FAILED, user, who=who,
           new={"locked": locked, **seen})
    return [], NotPermittedError(_("the code is not correct"), field="code")


# The wrapper raises the refusal after the attempt committed it.
do_verify_second_factor.composes = (_attempt_second_factor,)  # type: ignore[attr-defined]


def _accepted_code(user: User, profile: Profile, step: int, seen: dict[str, object]) -> list[str]:
    who = user.get_username()
    profile.totp_last_step = step
    profile.failed_reentries = 0
    codes: list[str] = []
    if profile.totp_confirmed_at is None:
        profile.totp_confirmed_at = clock.now()
        codes = _new_recovery_codes(user)
        record(None, AuditAction.CONFIRM_TWO_FACTOR, user, who=who,
               new={"recovery_codes": len(codes)})
    profile.save(update_fields=["totp_last_step", "totp_confirmed_at", "failed_reentries"])
    record(None, AuditAction.SIGN_IN, user, who=who, new={"second_factor": "totp", **seen})
    return codes


def _use_recovery_code(user: User, code: str, seen: dict[str, object]) -> bool:
    row = RecoveryCode.objects.select_for_update().filter(
        user=user, digest=totp.recovery_digest(code), used_at__isnull=True).first()
    if row is None:
        return False
    row.used_at = clock.now()
    row.save(update_fields=["used_at"])
    Profile.objects.filter(user=user).update(failed_reentries=0)
    left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
    who = user.get_username()
    record(None, AuditAction.USE_RECOVERY_CODE, user, who=who, new={"left": left, **seen})
    record(None, AuditAction.SIGN_IN, user, who=who,
           new={"second_factor": "recovery code", **seen})
    return True


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = totp.new_recovery_codes()
    now = clock.now()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=totp.recovery_digest(c), created_at=now) for c in codes)
    return codes


@action(AuditAction.RENEW_RECOVERY_CODES)
def do_renew_recovery_codes(password: str, *, actor: Actor) -> list[str]:
    """New recovery codes for the signed-in owner (the old ones stop working), with their
    password."""
    if actor.via_token is not None:
        raise NotPermittedError(_("sign in to renew recovery codes"), field="token")
    reenter_password(actor, password, "renew recovery codes")
    if not enrolled(actor.user):
        raise StateConflictError(_("no second factor is enrolled"), field="code")
    codes = _new_recovery_codes(actor.user)
    record(actor, AuditAction.RENEW_RECOVERY_CODES, actor.user, new={"recovery_codes": len(codes)})
    return codes


@action(AuditAction.RESET_TWO_FACTOR, permission="manage_users")
def do_reset_two_factor(user: User, reason: str, *, actor: Actor) -> None:
    """Clear a lost second factor so its owner enrols anew at the next sign-in. Refused while
    the person holds an unblinded or administering role: with their password reset too, one
    administrator could otherwise become them (revoke the role first; granting it again takes
    a second administrator)."""
    if not reason.strip():
        raise InvalidInputError(_("a reason is required"), field="reason")
    if user.pk == actor.user.pk:
        raise NotPermittedError(_("another administrator resets your second factor"),
                                field="username")
    if holds_guarded_role(user):
        raise StateConflictError(_("%(user)s holds an unblinded or administering role: "
                                   "revoke it first"), field="username", user=user.username)
    Profile.objects.filter(user=user).update(totp_secret="", totp_confirmed_at=None)
    RecoveryCode.objects.filter(user=user).delete()
    record(actor, AuditAction.RESET_TWO_FACTOR, user, reason=reason, new={"enrolled": False})
