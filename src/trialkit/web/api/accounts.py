"""People and systems: signing in (with a second factor where the role needs one), sessions
with a chosen role, one's own password, recovery codes and API tokens. Administering accounts
is in ``account_admin`` (mounted on this router)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated

from django.contrib.auth import logout
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from ninja import Field, Router, Schema, Status

from trialkit.web.api import account_admin
from trialkit.web.api.account_admin import (
    MembershipOut,
    PasswordIn,
    TokenInfo,
    memberships_of,
    token_info,
)
from trialkit.web.api.auth import SESSION_ROLE_KEY, SignedInAuth, actor_of
from trialkit.web.api.schemas import ERRORS, Done, ErrorOut, Id, InSchema, TextInput, responses
from trialkit.web.signin import (
    client_address,
    must_change_password,
    remember_browser,
    start_session,
    trusted_browser,
)
from trialkit.web.trial.actions.accounts import (
    do_change_password,
    do_issue_api_token,
    do_revoke_api_token,
    do_sign_in,
    owner,
)
from trialkit.web.trial.actions.base import NotFoundError, NotPermittedError, actor_for
from trialkit.web.trial.actions.sessions import do_sign_out, do_switch_role
from trialkit.web.trial.actions.two_factor import (
    do_renew_recovery_codes,
    do_start_two_factor,
    do_verify_second_factor,
    provisioning_uri,
    second_factor_needed,
)
from trialkit.web.trial.models import ApiToken, Membership, Profile

router = Router(tags=["accounts"])
router.add_router("/", account_admin.router)

Username = Annotated[str, TextInput("username")]
Role = Annotated[str, TextInput("role")]
Code = Annotated[str, Field(min_length=6, max_length=32, pattern=r"^[A-Za-z0-9 -]+$")]
"""A 6-digit authenticator code or a recovery code (``xxxx-xxxx-xxxx``)."""
SIGN_IN_ERRORS = {**ERRORS, 429: ErrorOut}


class SignInIn(InSchema):
    username: Username
    password: Annotated[str, TextInput("password")]
    role: Role | None = None
    """Optional: the role to act in; without it a user holding exactly one role gets that."""
    code: Code | None = None
    """The second factor, for a person whose roles need one (a code from the authenticator
    app, or a recovery code). Refused with field ``code`` when it is needed and missing."""


class CredentialsIn(InSchema):
    username: Username
    password: Annotated[str, TextInput("password")]


class RoleIn(InSchema):
    role: Role


class SessionOut(Schema):
    username: str
    role: str | None
    roles: list[MembershipOut]
    csrf_token: str
    """Send back as ``X-CSRFToken`` on unsafe requests made with the session cookie."""
    must_change_password: bool = False
    """True after an administrator's reset: ``PUT /api/me/password`` before anything else."""
    recovery_codes: list[str] | None = None
    """Shown once, when this sign-in confirmed a new second factor: keep them safe."""


class EnrolmentOut(Schema):
    secret: str
    """Base32, for the authenticator app; sign in with its first code to confirm."""
    otpauth_uri: str


class ActorOut(Schema):
    username: str
    printed_name: str
    role: str
    sites: list[str] | None
    can: list[str]
    sees: list[str]
    via_token: int | None = None
    """The id of the API token this request came with, if any."""


class TokenIn(InSchema):
    role: Role
    label: Annotated[str, TextInput("label")]
    password: Annotated[str, TextInput("password")]
    days: Annotated[int, Field(ge=1, le=3650)] | None = None
    """How long the token lasts (default ``TRIALKIT_TOKEN_DAYS``)."""


class TokenOut(Schema):
    token: str
    """Shown once; only its hash is stored."""
    id: int
    username: str
    role: str
    label: str
    expires_at: dt.datetime | None


class PasswordChangeIn(InSchema):
    password: Annotated[str, TextInput("password")]
    """The current password."""
    new_password: Annotated[str, TextInput("new_password")]


class RecoveryCodesOut(Schema):
    recovery_codes: list[str]


def _session_out(request: HttpRequest, user: User,
                 recovery_codes: list[str] | None = None) -> SessionOut:
    return SessionOut(username=user.username, role=request.session.get(SESSION_ROLE_KEY),
                      roles=[m for m in memberships_of(user) if m.active],
                      csrf_token=get_token(request),
                      must_change_password=must_change_password(user),
                      recovery_codes=recovery_codes or None)


@router.post("/session", auth=None, response={200: SessionOut, **SIGN_IN_ERRORS})
def sign_in(request: HttpRequest, response: HttpResponse, body: SignInIn) -> SessionOut:
    """Sign a person in and start a session. Roles that can unblind, sign, administer or see an
    unblinded fact need a second factor: enrol with ``POST /api/session/two-factor``, then
    send ``code``. Failures are throttled per account and per client address (429)."""
    source = client_address(request)
    user = do_sign_in(body.username, body.password, source=source,
                      trusted=trusted_browser(request, body.username))
    codes: list[str] = []
    if second_factor_needed(user):
        if not body.code:
            hint = "" if _has_secret(user) else (
                "; enrol first with POST /api/session/two-factor")
            raise NotPermittedError(f"a code from your authenticator app is required{hint}",
                                    field="code")
        codes = do_verify_second_factor(user, body.code, source=source)
    active_roles = sorted({m.role for m in Membership.objects.filter(user=user, active=True)})
    role = body.role or (active_roles[0] if len(active_roles) == 1 else None)
    if role is not None:
        actor_for(user, role)  # refuses a role the user does not hold, before the session
    start_session(request, user)
    request.session[SESSION_ROLE_KEY] = role
    remember_browser(response, user)
    return _session_out(request, user, codes)


def _has_secret(user: User) -> bool:
    return Profile.objects.filter(user=user).exclude(totp_secret="").exists()


@router.post("/session/two-factor", auth=None, response={200: EnrolmentOut, **SIGN_IN_ERRORS})
def enrol_two_factor(request: HttpRequest, body: CredentialsIn) -> EnrolmentOut:
    """Start enrolling a second factor (the password is checked and counted as at sign-in).
    Refused (409) once one is enrolled. Confirm by signing in with the first code."""
    user = do_sign_in(body.username, body.password, source=client_address(request),
                      trusted=trusted_browser(request, body.username))
    secret = do_start_two_factor(user)
    return EnrolmentOut(secret=secret, otpauth_uri=provisioning_uri(user, secret))


@router.get("/session", auth=SignedInAuth(), response=responses(SessionOut))
def session(request: HttpRequest) -> SessionOut:
    return _session_out(request, request.user)  # type: ignore[arg-type]


@router.put("/session/role", auth=SignedInAuth(), response=responses(SessionOut))
def choose_role(request: HttpRequest, body: RoleIn) -> SessionOut:
    """Act in another of one's roles from now on."""
    # Refuses a role not held; audited either way (actions/sessions.py).
    do_switch_role(request.user, body.role,  # type: ignore[arg-type]
                   previous=request.session.get(SESSION_ROLE_KEY))
    request.session[SESSION_ROLE_KEY] = body.role
    return _session_out(request, request.user)  # type: ignore[arg-type]


@router.delete("/session", auth=SignedInAuth(), response=responses(Done))
def sign_out(request: HttpRequest) -> Done:
    do_sign_out(request.user, request.session.get(SESSION_ROLE_KEY))  # type: ignore[arg-type]
    logout(request)
    return Done()


@router.put("/me/password", auth=SignedInAuth(), response=responses(Done))
def change_password(request: HttpRequest, body: PasswordChangeIn) -> Done:
    """Change one's password, re-entering the current one (also after an administrator's
    reset, when it is the only thing the session may do)."""
    do_change_password(body.password, body.new_password,
                       actor=owner(request.user))  # type: ignore[arg-type]
    return Done()


@router.post("/me/recovery-codes", auth=SignedInAuth(), response=responses(RecoveryCodesOut))
def renew_recovery_codes(request: HttpRequest, body: PasswordIn) -> RecoveryCodesOut:
    """New recovery codes (the old ones stop working), with one's password."""
    codes = do_renew_recovery_codes(body.password,
                                    actor=owner(request.user))  # type: ignore[arg-type]
    return RecoveryCodesOut(recovery_codes=codes)


@router.get("/me", response=responses(ActorOut))
def me(request: HttpRequest) -> ActorOut:
    """Who the request acts as, and what that role may do and see."""
    actor = actor_of(request)
    role = actor.protocol().role(actor.role)
    sites = None if actor.site_ids is None else sorted(
        m.site.code for m in Membership.objects.filter(
            user=actor.user, role=actor.role, active=True).select_related("site") if m.site)
    profile = Profile.objects.filter(user=actor.user).first()
    return ActorOut(username=actor.name, printed_name=profile.printed_name if profile else "",
                    role=actor.role, sites=sites, can=list(role.can),
                    sees=[s for s in ("allocation", "preparation", "procedure_type",
                                      "arm_summaries", "randomization_list") if actor.sees(s)],
                    via_token=actor.via_token.id if actor.via_token else None)


@router.get("/me/tokens", response=responses(list[TokenInfo]))
def my_tokens(request: HttpRequest) -> list[TokenInfo]:
    """One's own API tokens, revoked and expired ones included."""
    actor = actor_of(request)
    rows = ApiToken.objects.filter(user=actor.user).select_related("user").order_by("id")
    return [token_info(t) for t in rows]


@router.post("/me/tokens", response=responses(TokenOut, 201))
def issue_token(request: HttpRequest, body: TokenIn) -> Status[TokenOut]:
    """Issue a token for a system acting as oneself in one of one's roles (only the owner
    issues, signed in, with their password). Every write it makes is audited with its id,
    label and issuer."""
    actor = actor_of(request)
    token = do_issue_api_token(body.role, body.label, body.password, actor=actor,
                               days=body.days)
    row = ApiToken.objects.get(digest=hashlib.sha256(token.encode()).hexdigest())
    return Status(201, TokenOut(token=token, id=row.id, username=actor.name, role=row.role,
                                label=row.label, expires_at=row.expires_at))


@router.delete("/me/tokens/{token_id}", response=responses(TokenInfo))
def revoke_my_token(request: HttpRequest, token_id: Id) -> TokenInfo:
    actor = actor_of(request)
    token = ApiToken.objects.filter(id=token_id, user=actor.user).select_related("user").first()
    if token is None:
        raise NotFoundError("no such token", field="token_id")
    do_revoke_api_token(token, actor=actor)
    return token_info(token)

