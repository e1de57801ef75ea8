"""Users, roles at sites, API tokens. Every change is audited (docs/security.md, "Accounts and
sign-in"); signing in is in ``sign_in.py``.

Two people, not one, put anyone into an unblinded or administering role: the grant is a
request that a second administrator approves with their password. Nobody holds a blinded and
an unblinded role at once. Only an account's owner issues its tokens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.roles import Role
from trialkit.web.trial import clock
from trialkit.web.trial.account_policy import (
    conflicting,
    in_conflict,
    needs_approval,
    roles_of,
)
from trialkit.web.trial.actions.base import (
    Actor,
    InvalidInputError,
    NotFoundError,
    NotPermittedError,
    StateConflictError,
    TokenRef,
)
from trialkit.web.trial.actions.kernel import action, locked_now, record, reenter_password
from trialkit.web.trial.actions.sign_in import (  # noqa: F401  (this module's public surface)
    do_sign_in,
    do_verify_second_factor,
)
from trialkit.web.trial.actions.two_factor import holds_guarded_role
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import ApiToken, Membership, Profile, RoleRequest, Site
from trialkit.web.trial.study import current_study, protocol_of


def administrators() -> int:
    """People actively holding a role that manages users."""
    roles = [r.id for r in protocol_of(current_study()).roles if "manage_users" in r.can]
    return Membership.objects.filter(role__in=roles, active=True, user__is_active=True).values(
        "user").distinct().count()


def _setting_up() -> bool:
    """The server's own set-up (``actor`` None, never reachable from a request) makes the first
    two administrators; after that, administrators make accounts, and a second approves."""
    return administrators() < 2


@action(AuditAction.CREATE_USER, permission="manage_users", anonymous=True)
def do_create_user(username: str, password: str, printed_name: str, *,
                   actor: Actor | None, must_change_password: bool = False) -> User:
    """Create a user; ``actor`` None only while setting up the first two administrators.
    ``must_change_password``: the password is a temporary one its owner replaces at first
    sign-in (one an administrator chose or was shown)."""
    if actor is None and User.objects.exists() and not _setting_up():
        raise NotPermittedError(_("only an administrator may create users"))
    if not username or User.objects.filter(username=username).exists():
        raise InvalidInputError(_("username '%(username)s' is empty or taken"),
                                field="username", username=username)
    if not printed_name.strip():
        raise InvalidInputError(_("a printed name is required for e-signatures"),
                                field="printed_name")
    _check_new_password(password, User(username=username))
    user = User.objects.create_user(username=username, password=password)
    Profile.objects.create(user=user, printed_name=printed_name.strip(),
                           must_change_password=must_change_password)
    record(actor, AuditAction.CREATE_USER, user,
           new={"username": username, "printed_name": printed_name,
                "must_change_password": must_change_password})
    return user


@dataclass(frozen=True)
class NewPerson:
    user: User
    temporary_password: str
    """Shown once to the administrator, to hand over; it only lets its owner set their own."""
    granted: Membership | RoleRequest
    """The role, or the request a second administrator approves (an unblinded or
    administering role)."""


@action(AuditAction.ADD_PERSON, permission="manage_users")
def do_add_person(username: str, printed_name: str, role: str, site_code: str | None, *,
                  actor: Actor) -> NewPerson:
    """A new person in one step: an account with a temporary password they must change at
    first sign-in, and their role. Either both are made or neither is."""
    temporary = generate_password(username)
    user = do_create_user(username, temporary, printed_name, actor=actor,
                          must_change_password=True)
    granted = do_grant_role(user, role, site_code, actor=actor)
    record(actor, AuditAction.ADD_PERSON, user, new={"username": username, "role": role,
                                                     "site": site_code or "all"})
    return NewPerson(user, temporary, granted)


def generate_password(username: str) -> str:
    """A random password the configured validators accept for ``username``. A random draw can
    look too much like the username to Django's similarity check (which compares letters,
    not their order), so draw again until it passes rather than fail one start in a thousand."""
    candidate = User(username=username)
    while True:
        password = secrets.token_urlsafe(12)
        try:
            validate_password(password, candidate)
        except ValidationError:
            continue
        return password


def _check_new_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInputError(" ".join(exc.messages), field="password") from None


# -- roles ---------------------------------------------------------------------------------

@action(AuditAction.GRANT_ROLE, permission="manage_users", anonymous=True)
def do_grant_role(user: User, role: str, site_code: str | None, *,
                  actor: Actor | None) -> Membership | RoleRequest:
    """Grant a role; an unblinded or administering one becomes a request (``RoleRequest``)
    that another administrator approves (``do_approve_role_request``)."""
    protocol_role, site = _role_and_site(role, site_code)
    _refuse_conflict(user, protocol_role)
    if actor is None:
        if not ("manage_users" in protocol_role.can and _setting_up()):
            raise NotPermittedError(_("only an administrator may grant roles"))
    elif needs_approval(protocol_role):
        return _request(user, protocol_role, site, actor)
    return _grant(user, role, site, actor)


def _role_and_site(role: str, site_code: str | None) -> tuple[Role, Site | None]:
    protocol = protocol_of(current_study())
    try:
        protocol_role = protocol.role(role)
    except KeyError:
        raise InvalidInputError(_("unknown role '%(role)s'"), field="role",
                                role=role) from None
    site = None
    if site_code is not None:
        site = Site.objects.filter(code=site_code).first()
        if site is None:
            raise InvalidInputError(_("unknown site '%(site)s'"), field="site", site=site_code)
    elif protocol_role.site_scoped:
        raise InvalidInputError(_("role '%(role)s' works at a site; name the site"),
                                field="site", role=role)
    return protocol_role, site


def _refuse_conflict(user: User, role: Role) -> None:
    """Segregation of duties: no one holds a blinded and an unblinded role."""
    held = Membership.objects.filter(user=user, active=True).values_list("role", flat=True)
    clash = conflicting(protocol_of(current_study()), held, role)
    if clash is not None:
        seeing = role if role.sees else clash
        raise StateConflictError(
            _("%(user)s holds '%(held)s'; '%(role)s' would let one person be both "
              "blinded and unblinded ('%(seeing)s' sees %(sees)s)"),
            field="role", user=user.username, held=clash.id, role=role.id, seeing=seeing.id,
            sees=", ".join(seeing.sees))


def _request(user: User, role: Role, site: Site | None, actor: Actor) -> RoleRequest:
    if Membership.objects.filter(user=user, role=role.id, site=site, active=True).exists():
        raise StateConflictError(_("%(user)s already holds %(role)s there"), field="role",
                                 user=user.username, role=role.id)
    if RoleRequest.objects.filter(user=user, role=role.id, site=site,
                                  status=RoleRequest.Status.PENDING).exists():
        raise StateConflictError(_("a grant of %(role)s to %(user)s is already waiting "
                                   "for approval"), field="role", role=role.id,
                                 user=user.username)
    request = RoleRequest.objects.create(user=user, role=role.id, site=site,
                                         requested_by=actor.name, requested_at=clock.now())
    record(actor, AuditAction.REQUEST_ROLE, request, new={
        "user": user.username, "role": role.id, "site": site.code if site else None})
    return request


def _grant(user: User, role: str, site: Site | None, actor: Actor | None) -> Membership:
    membership, created = Membership.objects.get_or_create(user=user, role=role, site=site)
    if not created and membership.active:
        raise StateConflictError(_("%(user)s already holds %(role)s there"), field="role",
                                 user=user.username, role=role)
    membership.active = True
    membership.save()
    record(actor, AuditAction.GRANT_ROLE, membership,
           new={"user": user.username, "role": role, "site": site.code if site else None})
    return membership


@action(AuditAction.APPROVE_ROLE_REQUEST, permission="manage_users")
def do_approve_role_request(request: RoleRequest, password: str, *, actor: Actor) -> Membership:
    """The second administrator's approval, with their password: not the one who asked, and
    never for a grant to themselves."""
    _pending(request)
    if request.requested_by == actor.name:
        raise NotPermittedError(_("the administrator who asked for a grant cannot approve it; "
                                  "another administrator must"), field="request")
    if request.user_id == actor.user.pk:
        raise NotPermittedError(_("nobody approves a grant of a role to themselves"),
                                field="request")
    reenter_password(actor, password, "approve a role grant")
    role = protocol_of(current_study()).role(request.role)
    _refuse_conflict(request.user, role)
    membership = _grant(request.user, request.role, request.site, actor)
    _decide(request, RoleRequest.Status.APPROVED, actor)
    record(actor, AuditAction.APPROVE_ROLE_REQUEST, request, new={
        "user": request.user.username, "role": request.role, "requested_by": request.requested_by})
    return membership


@action(AuditAction.REFUSE_ROLE_REQUEST, permission="manage_users")
def do_refuse_role_request(request: RoleRequest, reason: str, *, actor: Actor) -> None:
    """Refuse a waiting grant (or, by the one who asked, withdraw it)."""
    if not reason.strip():
        raise InvalidInputError(_("a reason is required"), field="reason")
    _pending(request)
    _decide(request, RoleRequest.Status.REFUSED, actor)
    record(actor, AuditAction.REFUSE_ROLE_REQUEST, request, reason=reason, new={
        "user": request.user.username, "role": request.role, "requested_by": request.requested_by})


def _pending(request: RoleRequest) -> None:
    status = RoleRequest.objects.select_for_update().filter(pk=request.pk).values_list(
        "status", flat=True).first()
    if status != RoleRequest.Status.PENDING:
        raise StateConflictError(_("this request is %(status)s, no longer waiting"),
                                 field="request", status=status)


def _decide(request: RoleRequest, status: str, actor: Actor) -> None:
    request.status, request.decided_by, request.decided_at = status, actor.name, clock.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])


@action(AuditAction.REVOKE_ROLE, permission="manage_users")
def do_revoke_role(membership: Membership, *, actor: Actor, reason: str) -> None:
    if not reason.strip():
        raise InvalidInputError(_("a reason is required"), field="reason")
    if not membership.active:
        raise StateConflictError(_("this role is already revoked"))
    membership.active = False
    membership.save(update_fields=["active"])
    record(actor, AuditAction.REVOKE_ROLE, membership, old={"active": True}, new={"active": False},
           reason=reason)


def conflicting_memberships() -> list[tuple[str, list[str]]]:
    """People holding roles that conflict (granted before segregation of duties was checked),
    with their roles: the administrators' page lists them, and they cannot sign in."""
    protocol = protocol_of(current_study())
    held: dict[str, set[str]] = {}
    for username, role in Membership.objects.filter(active=True).values_list(
            "user__username", "role"):
        held.setdefault(username, set()).add(role)
    return sorted((name, sorted(roles)) for name, roles in held.items()
                  if has_conflict(protocol, roles))


def has_conflict(protocol: Protocol, roles: Iterable[str]) -> bool:
    known = roles_of(protocol, roles)
    return any(in_conflict(a, b) for a in known for b in known)


# -- the person's account ----------------------------------------------------------------------

@action(AuditAction.DEACTIVATE_USER, permission="manage_users")
def do_deactivate_user(user: User, reason: str, *, actor: Actor) -> None:
    """End an account: its sessions and tokens stop working at once (both check it)."""
    if not reason.strip():
        raise InvalidInputError(_("a reason is required"), field="reason")
    if user.pk == actor.user.pk:
        raise NotPermittedError(_("an administrator does not deactivate their own account"),
                                field="username")
    if not user.is_active:
        raise StateConflictError(_("%(user)s is already deactivated"), field="username",
                                 user=user.username)
    user.is_active = False
    user.save(update_fields=["is_active"])
    record(actor, AuditAction.DEACTIVATE_USER, user, old={"active": True},
           new={"active": False}, reason=reason)


@action(AuditAction.UNLOCK_ACCOUNT, permission="manage_users")
def do_unlock_account(user: User, *, actor: Actor) -> None:
    """Lift the lock and the sign-in pause, and start the failure counts again."""
    profile = Profile.objects.select_for_update().get(user=user)
    old = {"locked_until": profile.locked_until,
           "sign_in_paused_until": profile.sign_in_paused_until,
           "failed_sign_ins": profile.failed_sign_ins,
           "failed_reentries": profile.failed_reentries}
    profile.locked_until = profile.sign_in_paused_until = None
    profile.failed_sign_ins = profile.failed_reentries = 0
    profile.save(update_fields=["locked_until", "sign_in_paused_until", "failed_sign_ins",
                                "failed_reentries"])
    record(actor, AuditAction.UNLOCK_ACCOUNT, user, old=old, new={"locked": False})


@action(AuditAction.RESET_PASSWORD, permission="manage_users")
def do_reset_password(user: User, *, actor: Actor) -> str:
    """A temporary password, shown once to the administrator, that only lets its owner set a
    new one. Existing sessions end (Django ties them to the password); the second factor, if
    enrolled, is still asked, so the administrator cannot sign in as the person."""
    if user.pk == actor.user.pk:
        raise NotPermittedError(_("change your own password instead"), field="username")
    if holds_guarded_role(user) and not Profile.objects.filter(
            user=user, totp_confirmed_at__isnull=False).exists():
        # Without a second factor the temporary password alone would open the account.
        raise StateConflictError(
            _("%(user)s holds an unblinded or administering role and has no second "
              "factor: revoke that role first (granting it again takes a second administrator)"),
            field="username", user=user.username)
    temporary = generate_password(user.username)
    user.set_password(temporary)
    user.save(update_fields=["password"])
    Profile.objects.filter(user=user).update(
        must_change_password=True, locked_until=None, sign_in_paused_until=None,
        failed_sign_ins=0, failed_reentries=0)
    record(actor, AuditAction.RESET_PASSWORD, user, new={"must_change_password": True})
    return temporary


@action(AuditAction.CHANGE_PASSWORD)
def do_change_password(old_password: str, new_password: str, *, actor: Actor) -> None:
    """The owner changes their password, re-entering the old one (counted as a re-entry)."""
    reenter_password(actor, old_password, "change the password")
    user = actor.user
    if new_password == old_password:
        raise InvalidInputError(_("the new password is the old one"), field="new_password")
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise InvalidInputError(" ".join(exc.messages), field="new_password") from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    Profile.objects.filter(user=user).update(must_change_password=False)
    record(actor, AuditAction.CHANGE_PASSWORD, user, new={"must_change_password": False})


def owner(user: User) -> Actor:
    """The person acting on their own account, in no role (changing a password, tokens)."""
    return Actor(user=user, role="", site_ids=frozenset())


# -- API tokens ----------------------------------------------------------------------------

@action(AuditAction.ISSUE_API_TOKEN)
def do_issue_api_token(role: str, label: str, password: str, *, actor: Actor,
                       days: int | None = None) -> str:
    """A token for a system acting as the actor in ``role``, issued by the owner alone, with
    their password; returned once, stored hashed, expiring after ``days``."""
    if actor.via_token is not None:
        raise NotPermittedError(_("a token cannot issue tokens; sign in"), field="token")
    if not label.strip():
        raise InvalidInputError(_("a label says what the token is for"), field="label")
    days = settings.TRIALKIT_TOKEN_DAYS if days is None else days
    if not 1 <= days <= settings.TRIALKIT_TOKEN_MAX_DAYS:
        raise InvalidInputError(_("a token lasts 1 to %(most)s days"), field="days",
                                most=settings.TRIALKIT_TOKEN_MAX_DAYS)
    if not Membership.objects.filter(user=actor.user, role=role, active=True).exists():
        raise InvalidInputError(_("%(user)s does not hold role '%(role)s'"), field="role",
                                user=actor.name, role=role)
    reenter_password(actor, password, "issue an API token")
    token = "tk_" + secrets.token_urlsafe(32)
    now = clock.now()
    api_token = ApiToken.objects.create(
        user=actor.user, role=role, label=label.strip(), issued_by=actor.name,
        digest=hashlib.sha256(token.encode()).hexdigest(), created_at=now,
        expires_at=now + dt.timedelta(days=days))
    record(actor, AuditAction.ISSUE_API_TOKEN, api_token, new={
        "user": actor.name, "role": role, "label": api_token.label,
        "expires_at": api_token.expires_at})
    return token


@action(AuditAction.REVOKE_API_TOKEN)
def do_revoke_api_token(token: ApiToken, *, actor: Actor) -> None:
    """Revoke a token: by its owner, or by an administrator."""
    if token.user_id != actor.user.pk and not actor.can("manage_users"):
        raise NotFoundError(_("no such token"), field="token")
    if token.revoked_at is not None:
        raise StateConflictError(_("this token is already revoked"), field="token")
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    record(actor, AuditAction.REVOKE_API_TOKEN, token, new={
        "user": token.user.username, "label": token.label, "revoked_at": token.revoked_at})


def user_for_token(token: str) -> tuple[User, str, TokenRef]:
    """The user and role a token acts as; refused once revoked or expired, or while its user is
    deactivated or locked."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    # The user's profile in the same query: every API request asks whether the account is
    # locked.
    api_token = ApiToken.objects.filter(digest=digest, revoked_at__isnull=True).select_related(
        "user", "user__profile").first()
    if api_token is None or not api_token.user.is_active:
        raise NotFoundError(_("unknown or revoked token"))
    if api_token.expires_at is not None and api_token.expires_at <= clock.now():
        raise NotFoundError(_("this token has expired"))
    profile = getattr(api_token.user, "profile", None)
    if profile is not None and locked_now(profile.locked_until):
        raise NotPermittedError(_("the token's account is locked"))
    return api_token.user, api_token.role, TokenRef(id=api_token.pk, label=api_token.label,
                                                    issued_by=api_token.issued_by)
