"""People and systems: sessions with a chosen role, users, roles at sites, API tokens."""

from __future__ import annotations

from typing import Annotated

from django.contrib.auth import login, logout
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.middleware.csrf import get_token
from ninja import Router, Schema, Status

from trialkit.web.api.auth import SESSION_ROLE_KEY, SignedInAuth, actor_of
from trialkit.web.api.schemas import Done, Id, InSchema, ReasonIn, TextInput, responses
from trialkit.web.trial.actions.accounts import (
    do_create_user,
    do_grant_role,
    do_issue_api_token,
    do_revoke_role,
    do_sign_in,
)
from trialkit.web.trial.actions.base import NotFoundError, actor_for
from trialkit.web.trial.models import Membership

router = Router(tags=["accounts"])


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


Username = Annotated[str, TextInput("username")]
Role = Annotated[str, TextInput("role")]


class SignInIn(InSchema):
    username: Username
    password: Annotated[str, TextInput("password")]
    role: Role | None = None
    """Optional: the role to act in; without it a user holding exactly one role gets that."""


class RoleIn(InSchema):
    role: Role


class SessionOut(Schema):
    username: str
    role: str | None
    roles: list[MembershipOut]
    csrf_token: str
    """Send back as ``X-CSRFToken`` on unsafe requests made with the session cookie."""


class ActorOut(Schema):
    username: str
    printed_name: str
    role: str
    sites: list[str] | None
    can: list[str]
    sees: list[str]


class CreateUserIn(InSchema):
    username: Annotated[str, TextInput("username", checks="not taken")]
    password: Annotated[str, TextInput("new_password")]
    printed_name: Annotated[str, TextInput("printed_name")]


class GrantIn(InSchema):
    role: Role
    site: Annotated[str, TextInput("site")] | None = None


class TokenIn(InSchema):
    role: Role
    label: Annotated[str, TextInput("label")]


class TokenOut(Schema):
    token: str
    """Shown once; only its hash is stored."""
    username: str
    role: str
    label: str


def _memberships(user: User) -> list[MembershipOut]:
    rows = Membership.objects.filter(user=user).select_related("site").order_by("id")
    return [MembershipOut(id=m.id, role=m.role, site=m.site.code if m.site else None,
                          active=m.active) for m in rows]


def _user_out(user: User) -> UserOut:
    printed = user.profile.printed_name if hasattr(user, "profile") else ""
    return UserOut(username=user.username, printed_name=printed, active=user.is_active,
                   memberships=_memberships(user))


def _session_out(request: HttpRequest, user: User) -> SessionOut:
    return SessionOut(username=user.username, role=request.session.get(SESSION_ROLE_KEY),
                      roles=[m for m in _memberships(user) if m.active],
                      csrf_token=get_token(request))


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFoundError(f"no user '{username}'", field="username")
    return user


@router.post("/session", auth=None, response=responses(SessionOut))
def sign_in(request: HttpRequest, body: SignInIn) -> SessionOut:
    """Sign a person in (lockout after repeated failures) and start a session."""
    user = do_sign_in(body.username, body.password)
    active_roles = sorted({m.role for m in Membership.objects.filter(user=user, active=True)})
    role = body.role or (active_roles[0] if len(active_roles) == 1 else None)
    if role is not None:
        actor_for(user, role)  # refuses a role the user does not hold, before the session
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_ROLE_KEY] = role
    return _session_out(request, user)


@router.get("/session", auth=SignedInAuth(), response=responses(SessionOut))
def session(request: HttpRequest) -> SessionOut:
    return _session_out(request, request.user)  # type: ignore[arg-type]


@router.put("/session/role", auth=SignedInAuth(), response=responses(SessionOut))
def choose_role(request: HttpRequest, body: RoleIn) -> SessionOut:
    """Act in another of one's roles from now on."""
    actor_for(request.user, body.role)  # type: ignore[arg-type]
    request.session[SESSION_ROLE_KEY] = body.role
    return _session_out(request, request.user)  # type: ignore[arg-type]


@router.delete("/session", auth=SignedInAuth(), response=responses(Done))
def sign_out(request: HttpRequest) -> Done:
    logout(request)
    return Done()


@router.get("/me", response=responses(ActorOut))
def me(request: HttpRequest) -> ActorOut:
    """Who the request acts as, and what that role may do and see."""
    actor = actor_of(request)
    role = actor.protocol().role(actor.role)
    sites = None if actor.site_ids is None else sorted(
        m.site.code for m in Membership.objects.filter(
            user=actor.user, role=actor.role, active=True).select_related("site") if m.site)
    return ActorOut(username=actor.name, printed_name=_user_out(actor.user).printed_name,
                    role=actor.role, sites=sites, can=list(role.can),
                    sees=[s for s in ("allocation", "preparation", "procedure_type",
                                      "arm_summaries", "randomization_list") if actor.sees(s)])


@router.get("/users", response=responses(list[UserOut]))
def users(request: HttpRequest) -> list[UserOut]:
    actor_of(request).require("manage_users")
    return [_user_out(u) for u in User.objects.order_by("username")]


@router.post("/users", response=responses(UserOut, 201))
def create_user(request: HttpRequest, body: CreateUserIn) -> Status[UserOut]:
    user = do_create_user(body.username, body.password, body.printed_name,
                          actor=actor_of(request))
    return Status(201, _user_out(user))


@router.post("/users/{username}/roles", response=responses(MembershipOut, 201))
def grant_role(request: HttpRequest, username: Username, body: GrantIn) -> Status[MembershipOut]:
    actor = actor_of(request)
    actor.require("manage_users")  # before revealing whether the user exists
    membership = do_grant_role(_user(username), body.role, body.site, actor=actor)
    return Status(201, MembershipOut(id=membership.id, role=membership.role,
                                     active=membership.active, site=body.site))


@router.post("/memberships/{membership_id}/revoke", response=responses(MembershipOut))
def revoke_role(request: HttpRequest, membership_id: Id, body: ReasonIn) -> MembershipOut:
    actor = actor_of(request)
    actor.require("manage_users")
    membership = Membership.objects.filter(id=membership_id).select_related("site").first()
    if membership is None:
        raise NotFoundError("no such membership", field="membership_id")
    do_revoke_role(membership, actor=actor, reason=body.reason)
    return MembershipOut(id=membership.id, role=membership.role, active=membership.active,
                         site=membership.site.code if membership.site else None)


@router.post("/users/{username}/tokens", response=responses(TokenOut, 201))
def issue_token(request: HttpRequest, username: Username, body: TokenIn) -> Status[TokenOut]:
    actor = actor_of(request)
    actor.require("manage_users")
    user = _user(username)
    token = do_issue_api_token(user, body.role, body.label, actor=actor)
    return Status(201, TokenOut(token=token, username=user.username, role=body.role,
                                label=body.label))
