"""What the account pages read: a person's own second factor and tokens, and the
administrators' view of waiting grants, conflicting roles and live tokens.

Lookups by a posted id answer ``NotFoundError`` (the page shows it as a refusal), so a view
only parses the form and calls these or an action.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from trialkit.web.trial.actions.accounts import conflicting_memberships
from trialkit.web.trial.actions.base import ActionError, NotFoundError
from trialkit.web.trial.actions.two_factor import stored_totp_secret
from trialkit.web.trial.models import (
    ApiToken,
    Membership,
    Profile,
    RecoveryCode,
    RoleRequest,
    Site,
)


@dataclass(frozen=True)
class OwnAccount:
    recovery_left: int
    """Unused recovery codes of the second factor."""
    tokens: list[ApiToken]
    """Every token the person was issued, newest first (revoked ones included)."""


def own_account(user: User) -> OwnAccount:
    return OwnAccount(RecoveryCode.objects.filter(user=user, used_at__isnull=True).count(),
                      list(ApiToken.objects.filter(user=user).order_by("-id")))


def own_token(user: User, token_id: str) -> ApiToken:
    """One of the person's own tokens, by the id the form posted."""
    found = ApiToken.objects.filter(pk=int(token_id), user=user).first() \
        if token_id.isdigit() else None
    if found is None:
        raise NotFoundError(_("no such token"), field="token")
    return found


@dataclass(frozen=True)
class AccountsOverview:
    pending: QuerySet[RoleRequest]
    """Grants waiting for a second administrator, oldest first."""
    conflicts: list[tuple[str, list[str]]]
    """Roles held together that the protocol keeps apart (``conflicting_memberships``)."""
    tokens: QuerySet[ApiToken]
    """Tokens not revoked, by user."""


def accounts_overview() -> AccountsOverview:
    return AccountsOverview(
        RoleRequest.objects.filter(status=RoleRequest.Status.PENDING).select_related(
            "user", "site").order_by("id"),
        conflicting_memberships(),
        ApiToken.objects.filter(revoked_at__isnull=True).select_related("user").order_by(
            "user__username", "id"))


def totp_secret(user: User) -> str:
    """The second factor's secret being set up (blank: none started)."""
    return stored_totp_secret(Profile.objects.get(user=user))


def users_with_roles() -> QuerySet[User]:
    return User.objects.select_related("profile").prefetch_related(
        "memberships__site").order_by("username")


def membership(membership_id: int) -> Membership:
    found = Membership.objects.filter(pk=membership_id).first()
    if found is None:
        raise NotFoundError(_("no such role membership"), field="membership")
    return found


def user_named(username: str, *,
               refusal: type[ActionError] = NotFoundError) -> User:
    """``refusal``: the error for a name nobody has (granting a role to one is bad input)."""
    found = User.objects.filter(username=username).first()
    if found is None:
        raise refusal(_("no such user"), field="username")
    return found


def all_sites() -> QuerySet[Site]:
    return Site.objects.order_by("code")


def role_request(request_id: int) -> RoleRequest:
    found = RoleRequest.objects.filter(pk=request_id).select_related("user", "site").first()
    if found is None:
        raise NotFoundError(_("no such request"), field="request")
    return found


def any_token(token_id: int) -> ApiToken:
    found = ApiToken.objects.filter(pk=token_id).select_related("user").first()
    if found is None:
        raise NotFoundError(_("no such token"), field="token")
    return found
