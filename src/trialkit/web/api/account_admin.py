"""Administering accounts: users, roles (with a second administrator's approval for unblinded
and administering ones), deactivation, unlocking, password and second-factor resets, tokens."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja import Router, Schema, Status

from trialkit.web.api.auth import actor_of
from trialkit.web.api.schemas import Id, InSchema, ReasonIn, TextInput, responses
from trialkit.web.trial import clock
from trialkit.web.trial.actions.accounts import (
    do_approve_role_request,
    do_create_user,
    do_deactivate_user,
    do_grant_role,
    do_refuse_role_request,
    do_reset_password,
    do_revoke_api_token,
    do_revoke_role,
    do_unlock_account,
)
from trialkit.web.trial.actions.base import Actor, NotFoundError
from trialkit.web.trial.actions.two_factor import do_reset_two_factor
from trialkit.web.trial.models import ApiToken, Membership, Profile, RoleRequest

router = Router(tags=["accounts"])

Username = Annotated[str, TextInput("username")]
Role = Annotated[str, TextInput("role")]


class MembershipOut(Schema):
    id: int
    role: str
    site: str | None
    active: bool


class UserOut(Schema):
    username: str
    printed_name: str
    active: bool
    memberships: list[MembershipOut]
    locked: bool = False
    """Locked after wrong re-entered passwords or codes, or sign-in paused for new browsers."""
    two_factor: bool = False
    """Whether a second factor is enrolled."""
    must_change_password: bool = False


class RoleRequestOut(Schema):
    id: int
    username: str
    role: str
    site: str | None
    status: str
    requested_by: str
    requested_at: dt.datetime
    decided_by: str


class TokenInfo(Schema):
    id: int
    username: str
    role: str
    label: str
    issued_by: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class CreateUserIn(InSchema):
    username: Annotated[str, TextInput("username", checks="not taken")]
    password: Annotated[str, TextInput("new_password")]
    printed_name: Annotated[str, TextInput("printed_name")]


class GrantIn(InSchema):
    role: Role
    site: Annotated[str, TextInput("site")] | None = None


class PasswordIn(InSchema):
    password: Annotated[str, TextInput("password")]


class TemporaryPasswordOut(Schema):
    username: str
    temporary_password: str
    """Shown once; its owner must replace it at the next sign-in."""


def memberships_of(user: User) -> list[MembershipOut]:
    rows = Membership.objects.filter(user=user).select_related("site").order_by("id")
    return [MembershipOut(id=m.id, role=m.role, site=m.site.code if m.site else None,
                          active=m.active) for m in rows]


def user_out(user: User) -> UserOut:
    profile = Profile.objects.filter(user=user).first()
    now = clock.now()
    locked = profile is not None and any(
        t is not None and t > now for t in (profile.locked_until, profile.sign_in_paused_until))
    return UserOut(username=user.username, printed_name=profile.printed_name if profile else "",
                   active=user.is_active, memberships=memberships_of(user), locked=locked,
                   two_factor=bool(profile and profile.totp_confirmed_at),
                   must_change_password=bool(profile and profile.must_change_password))


def request_out(request: RoleRequest) -> RoleRequestOut:
    return RoleRequestOut(id=request.id, username=request.user.username, role=request.role,
                          site=request.site.code if request.site else None,
                          status=request.status, requested_by=request.requested_by,
                          requested_at=request.requested_at, decided_by=request.decided_by)


def token_info(token: ApiToken) -> TokenInfo:
    return TokenInfo(id=token.id, username=token.user.username, role=token.role,
                     label=token.label, issued_by=token.issued_by, created_at=token.created_at,
                     expires_at=token.expires_at, revoked_at=token.revoked_at)


def find_user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFoundError(f"no user '{username}'", field="username")
    return user


def _admin(request: HttpRequest) -> Actor:
    actor = actor_of(request)
    actor.require("manage_users")  # before revealing whether anything named exists
    return actor


@router.get("/users", response=responses(list[UserOut]))
def users(request: HttpRequest) -> list[UserOut]:
    _admin(request)
    return [user_out(u) for u in User.objects.order_by("username")]


@router.post("/users", response=responses(UserOut, 201))
def create_user(request: HttpRequest, body: CreateUserIn) -> Status[UserOut]:
    user = do_create_user(body.username, body.password, body.printed_name,
                          actor=actor_of(request))
    return Status(201, user_out(user))


@router.post("/users/{username}/roles",
             response={**responses(MembershipOut, 201), 202: RoleRequestOut})
def grant_role(request: HttpRequest, username: Username,
               body: GrantIn) -> Status[MembershipOut] | Status[RoleRequestOut]:
    """Grant a role (201); an unblinded or administering role is a request that another
    administrator approves (202, ``POST /api/role-requests/{id}/approve``)."""
    actor = _admin(request)
    granted = do_grant_role(find_user(username), body.role, body.site, actor=actor)
    if isinstance(granted, RoleRequest):
        return Status(202, request_out(granted))
    return Status(201, MembershipOut(id=granted.id, role=granted.role, active=granted.active,
                                     site=body.site))


@router.get("/role-requests", response=responses(list[RoleRequestOut]))
def role_requests(request: HttpRequest) -> list[RoleRequestOut]:
    """Grants waiting for a second administrator."""
    _admin(request)
    waiting = RoleRequest.objects.filter(status=RoleRequest.Status.PENDING).select_related(
        "user", "site").order_by("id")
    return [request_out(r) for r in waiting]


def _role_request(request_id: int) -> RoleRequest:
    found = RoleRequest.objects.filter(id=request_id).select_related("user", "site").first()
    if found is None:
        raise NotFoundError("no such role request", field="request_id")
    return found


@router.post("/role-requests/{request_id}/approve", response=responses(MembershipOut))
def approve_role_request(request: HttpRequest, request_id: Id,
                         body: PasswordIn) -> MembershipOut:
    """Approve another administrator's request, re-entering your password."""
    actor = _admin(request)
    membership = do_approve_role_request(_role_request(request_id), body.password, actor=actor)
    return MembershipOut(id=membership.id, role=membership.role, active=membership.active,
                         site=membership.site.code if membership.site else None)


@router.post("/role-requests/{request_id}/refuse", response=responses(RoleRequestOut))
def refuse_role_request(request: HttpRequest, request_id: Id, body: ReasonIn) -> RoleRequestOut:
    actor = _admin(request)
    found = _role_request(request_id)
    do_refuse_role_request(found, body.reason, actor=actor)
    return request_out(found)


@router.post("/memberships/{membership_id}/revoke", response=responses(MembershipOut))
def revoke_role(request: HttpRequest, membership_id: Id, body: ReasonIn) -> MembershipOut:
    actor = _admin(request)
    membership = Membership.objects.filter(id=membership_id).select_related("site").first()
    if membership is None:
        raise NotFoundError("no such membership", field="membership_id")
    do_revoke_role(membership, actor=actor, reason=body.reason)
    return MembershipOut(id=membership.id, role=membership.role, active=membership.active,
                         site=membership.site.code if membership.site else None)


@router.post("/users/{username}/deactivate", response=responses(UserOut))
def deactivate_user(request: HttpRequest, username: Username, body: ReasonIn) -> UserOut:
    """End an account: its sessions and tokens stop working at once."""
    actor = _admin(request)
    user = find_user(username)
    do_deactivate_user(user, body.reason, actor=actor)
    return user_out(user)


@router.post("/users/{username}/unlock", response=responses(UserOut))
def unlock_user(request: HttpRequest, username: Username) -> UserOut:
    actor = _admin(request)
    user = find_user(username)
    do_unlock_account(user, actor=actor)
    return user_out(user)


@router.post("/users/{username}/password-reset", response=responses(TemporaryPasswordOut))
def reset_password(request: HttpRequest, username: Username) -> TemporaryPasswordOut:
    """A temporary password, shown once, that its owner must change at the next sign-in."""
    actor = _admin(request)
    user = find_user(username)
    return TemporaryPasswordOut(username=user.username,
                                temporary_password=do_reset_password(user, actor=actor))


@router.post("/users/{username}/two-factor/reset", response=responses(UserOut))
def reset_two_factor(request: HttpRequest, username: Username, body: ReasonIn) -> UserOut:
    """Clear a lost second factor (not for someone holding an unblinded or administering
    role: revoke it first)."""
    actor = _admin(request)
    user = find_user(username)
    do_reset_two_factor(user, body.reason, actor=actor)
    return user_out(user)


@router.get("/users/{username}/tokens", response=responses(list[TokenInfo]))
def user_tokens(request: HttpRequest, username: Username) -> list[TokenInfo]:
    _admin(request)
    rows = ApiToken.objects.filter(user=find_user(username)).select_related("user")
    return [token_info(t) for t in rows.order_by("id")]


@router.post("/tokens/{token_id}/revoke", response=responses(TokenInfo))
def revoke_token(request: HttpRequest, token_id: Id) -> TokenInfo:
    """Revoke a token: its owner, or an administrator."""
    actor = actor_of(request)
    token = ApiToken.objects.filter(id=token_id).select_related("user").first()
    if token is None or (token.user_id != actor.user.pk and not actor.can("manage_users")):
        raise NotFoundError("no such token", field="token_id")
    do_revoke_api_token(token, actor=actor)
    return token_info(token)
