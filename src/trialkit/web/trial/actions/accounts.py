"""Users, roles at sites, sign-in with lockout, API tokens. Every change is audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import (
    Actor,
    InvalidInputError,
    NotFoundError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.kernel import (
    action,
    record,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import ApiToken, Membership, Profile, Site
from trialkit.web.trial.study import current_study, protocol_of


@action(AuditAction.CREATE_USER, permission="manage_users", anonymous=True)
def do_create_user(username: str, password: str, printed_name: str, *,
                   actor: Actor | None) -> User:
    """Create a user; ``actor`` None only for the very first (bootstrap) administrator."""
    if actor is None and User.objects.exists():
        raise NotPermittedError("only an administrator may create users")
    if not username or User.objects.filter(username=username).exists():
        raise InvalidInputError(f"username '{username}' is empty or taken", field="username")
    if not printed_name.strip():
        raise InvalidInputError("a printed name is required for e-signatures",
                                field="printed_name")
    try:
        validate_password(password, User(username=username))
    except ValidationError as exc:
        raise InvalidInputError(" ".join(exc.messages), field="password") from None
    user = User.objects.create_user(username=username, password=password)
    Profile.objects.create(user=user, printed_name=printed_name.strip())
    record(actor, AuditAction.CREATE_USER, user,
           new={"username": username, "printed_name": printed_name})
    return user


@action(AuditAction.GRANT_ROLE, permission="manage_users", anonymous=True)
def do_grant_role(user: User, role: str, site_code: str | None, *,
                  actor: Actor | None) -> Membership:
    if actor is None and Membership.objects.exists():
        raise NotPermittedError("only an administrator may grant roles")
    protocol = protocol_of(current_study())
    try:
        protocol_role = protocol.role(role)
    except KeyError:
        raise InvalidInputError(f"unknown role '{role}'", field="role") from None
    site = None
    if site_code is not None:
        site = Site.objects.filter(code=site_code).first()
        if site is None:
            raise InvalidInputError(f"unknown site '{site_code}'", field="site")
    elif protocol_role.site_scoped:
        raise InvalidInputError(f"role '{role}' works at a site; name the site", field="site")
    membership, created = Membership.objects.get_or_create(user=user, role=role, site=site)
    if not created and membership.active:
        raise StateConflictError(f"{user.username} already holds {role} there", field="role")
    membership.active = True
    membership.save()
    record(actor, AuditAction.GRANT_ROLE, membership,
           new={"user": user.username, "role": role, "site": site_code})
    return membership


@action(AuditAction.REVOKE_ROLE, permission="manage_users")
def do_revoke_role(membership: Membership, *, actor: Actor, reason: str) -> None:
    if not reason.strip():
        raise InvalidInputError("a reason is required", field="reason")
    if not membership.active:
        raise StateConflictError("this role is already revoked")
    membership.active = False
    membership.save(update_fields=["active"])
    record(actor, AuditAction.REVOKE_ROLE, membership, old={"active": True}, new={"active": False},
           reason=reason)


def do_sign_in(username: str, password: str) -> User:
    """Check a password, counting failures; too many lock the account for a while.

    The outcome is recorded in its own committed transaction *before* a refusal is raised, so
    failed attempts are never rolled back out of the audit trail.
    """
    user, refusal = _attempt_sign_in(username, password)
    if refusal or user is None:
        raise NotPermittedError(refusal or "wrong username or password")
    return user



@action(AuditAction.SIGN_IN, anonymous=True)
def _attempt_sign_in(username: str, password: str) -> tuple[User | None, str]:
    user = User.objects.filter(username=username).select_related("profile").first()
    now = clock.now()
    if user is None:
        record(None, AuditAction.SIGN_IN_FAILED, "User", new={"why": "unknown user"},
               who=username)
        return None, "wrong username or password"
    profile = user.profile
    if profile.locked_until is not None and profile.locked_until > now:
        record(None, AuditAction.SIGN_IN_REFUSED, user, new={"why": "locked"}, who=username)
        return None, "this account is locked after repeated failures; try later"
    if authenticate(username=username, password=password) is None:
        profile.failed_sign_ins += 1
        if profile.failed_sign_ins >= settings.TRIALKIT_LOCKOUT_FAILURES:
            profile.locked_until = now + dt.timedelta(minutes=settings.TRIALKIT_LOCKOUT_MINUTES)
            profile.failed_sign_ins = 0
        profile.save(update_fields=["failed_sign_ins", "locked_until"])
        record(None, AuditAction.SIGN_IN_FAILED, user,
               new={"locked": profile.locked_until is not None}, who=username)
        return None, "wrong username or password"
    profile.failed_sign_ins, profile.locked_until = 0, None
    profile.save(update_fields=["failed_sign_ins", "locked_until"])
    record(None, AuditAction.SIGN_IN, user, who=username)
    return user, ""


# do_sign_in is not an action itself: it raises the refusal after this action committed it.
do_sign_in.composes = (_attempt_sign_in,)  # type: ignore[attr-defined]


@action(AuditAction.ISSUE_API_TOKEN, permission="manage_users")
def do_issue_api_token(user: User, role: str, label: str, *, actor: Actor) -> str:
    """A token for a system acting as ``user`` in ``role``; returned once, stored hashed."""
    if not Membership.objects.filter(user=user, role=role, active=True).exists():
        raise InvalidInputError(f"{user.username} does not hold role '{role}'", field="role")
    token = "tk_" + secrets.token_urlsafe(32)
    api_token = ApiToken.objects.create(user=user, role=role, label=label,
                                        digest=hashlib.sha256(token.encode()).hexdigest(),
                                        created_at=clock.now())
    record(actor, AuditAction.ISSUE_API_TOKEN, api_token, new={"user": user.username, "role": role,
                                                     "label": label})
    return token


def user_for_token(token: str) -> tuple[User, str]:
    digest = hashlib.sha256(token.encode()).hexdigest()
    api_token = ApiToken.objects.filter(digest=digest, revoked_at__isnull=True).select_related(
        "user").first()
    if api_token is None or not api_token.user.is_active:
        raise NotFoundError("unknown or revoked token")
    return api_token.user, api_token.role
