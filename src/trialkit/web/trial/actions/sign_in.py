"""Signing in with a password, throttled per account and per client address.

Designed so that strangers can neither guess passwords quickly nor lock people out
(docs/security.md, "Accounts and sign-in"):

- **per address**: every failure from a client address counts; past
  ``TRIALKIT_SOURCE_FAILURES`` the address is backed off, doubling from a minute to an hour.
- **per account**: wrong passwords from browsers the person never signed in from pause sign-in
  *from such browsers* after ``TRIALKIT_LOCKOUT_FAILURES``; a browser that signed in before
  (a signed cookie the caller checks, ``trusted``) still gets in, and API tokens keep working.
- an empty password is refused as input, counted against no account;
- an unknown or deactivated username costs the same password hashing as a real one (the
  hasher runs against a dummy hash), and every refusal reads the same, so neither the answer
  nor its timing tells which usernames exist.

The outcome is committed before a refusal is raised, so failed attempts are never rolled back
out of the audit trail.
"""

from __future__ import annotations

import datetime as dt
import secrets
from functools import cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import (
    ActionError,
    InvalidInputError,
    NotPermittedError,
    ThrottledError,
)
from trialkit.web.trial.actions.kernel import action, record
from trialkit.web.trial.actions.throttle import blocked, count_source_failure
from trialkit.web.trial.actions.two_factor import (  # noqa: F401  (re-exported)
    do_verify_second_factor,
    second_factor_needed,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import Membership, Profile
from trialkit.web.trial.study import current_study, protocol_of

REFUSAL = _("wrong username or password (after repeated failures, signing in from a browser "
            "not used here before pauses for a while)")
"""The one answer to an unknown user, a wrong password, a deactivated, locked or paused
account: it tells a stranger nothing about which accounts exist."""


def do_sign_in(username: str, password: str, *, source: str = "",
               trusted: bool = False) -> User:
    """Check a password; returns the user, whose second factor the caller asks next if
    ``second_factor_needed(user)``. ``source`` is the client address, ``trusted`` whether the
    request carries this user's remembered-browser cookie."""
    user, refusal = _attempt_sign_in(username, password, source, trusted)
    if refusal is not None or user is None:
        raise refusal or NotPermittedError(REFUSAL)
    return user


@action(AuditAction.SIGN_IN, anonymous=True)
def _attempt_sign_in(username: str, password: str, source: str,
                     trusted: bool) -> tuple[User | None, ActionError | None]:
    now = clock.now()
    seen = {"source": source or None}
    if source and blocked(source, now):
        record(None, AuditAction.SIGN_IN_REFUSED, "User",
               new={"why": "too many failures from this address", **seen}, who=username)
        return None, ThrottledError(_("too many failed sign-ins from this address; try again "
                                      "in a few minutes"))
    if not password:
        count_source_failure(source, now)
        record(None, AuditAction.SIGN_IN_FAILED, "User", new={"why": "no password", **seen},
               who=username)
        return None, InvalidInputError(_("enter the password"), field="password")
    user = User.objects.filter(username=username).select_related("profile").first()
    profile = Profile.objects.filter(user=user).first() if user is not None else None
    if user is None or profile is None:
        check_password(password, _dummy_hash())  # the same work as for a real account
        count_source_failure(source, now)
        record(None, AuditAction.SIGN_IN_FAILED, "User", new={"why": "unknown user", **seen},
               who=username)
        return None, NotPermittedError(REFUSAL)
    right = user.check_password(password)
    why = _why_refused(user, profile, right, trusted, now)
    if why is not None:
        if not right:
            count_source_failure(source, now)
        if not right and not trusted:
            _count_account_failure(profile, now)
        event = AuditAction.SIGN_IN_FAILED if not right else AuditAction.SIGN_IN_REFUSED
        record(None, event, user, who=username, new={
            "why": why, "trusted_browser": trusted,
            "paused": _paused(profile, now), **seen})
        return None, NotPermittedError(REFUSAL)
    clash = _conflict(user)
    if clash:
        record(None, AuditAction.SIGN_IN_REFUSED, user, who=username,
               new={"why": "conflicting roles", "roles": clash, **seen})
        return None, NotPermittedError(
            _("you hold roles that one person may not hold together (%(roles)s): an "
              "administrator must revoke one before you can sign in"),
            field="role", roles=", ".join(clash))
    profile.failed_sign_ins, profile.sign_in_paused_until = 0, None
    profile.save(update_fields=["failed_sign_ins", "sign_in_paused_until"])
    step = AuditAction.PASSWORD_ACCEPTED if second_factor_needed(user) else AuditAction.SIGN_IN
    record(None, step, user, who=username, new={"trusted_browser": trusted, **seen})
    return user, None


# do_sign_in is not an action itself: it raises the refusal after this action committed it.
do_sign_in.composes = (_attempt_sign_in,)  # type: ignore[attr-defined]


def _why_refused(user: User, profile: Profile, right: bool, trusted: bool,
                 now: dt.datetime) -> str | None:
    if not user.is_active:
        return "deactivated"
    if profile.locked_until is not None and profile.locked_until > now:
        return "locked"
    if not right:
        return "wrong password"
    if not trusted and _paused(profile, now):
        return "paused for browsers not used before"
    return None


def _paused(profile: Profile, now: dt.datetime) -> bool:
    return profile.sign_in_paused_until is not None and profile.sign_in_paused_until > now


def _count_account_failure(profile: Profile, now: dt.datetime) -> None:
    profile.failed_sign_ins += 1
    if profile.failed_sign_ins >= settings.TRIALKIT_LOCKOUT_FAILURES:
        profile.sign_in_paused_until = now + dt.timedelta(
            minutes=settings.TRIALKIT_LOCKOUT_MINUTES)
        profile.failed_sign_ins = 0
    profile.save(update_fields=["failed_sign_ins", "sign_in_paused_until"])


def _conflict(user: User) -> list[str]:
    """The user's roles when they include a blinded and an unblinded one (memberships from
    before segregation of duties was checked): such a person does not sign in at all."""
    from trialkit.web.trial.account_policy import in_conflict, roles_of

    held = set(Membership.objects.filter(user=user, active=True).values_list("role", flat=True))
    known = roles_of(protocol_of(current_study()), sorted(held))
    return sorted(held) if any(in_conflict(a, b) for a in known for b in known) else []


@cache
def _dummy_hashes() -> dict[str, str]:
    return {}


def _dummy_hash() -> str:
    """A hash made by the current default hasher (with its current cost), made once per
    hasher: checking a password against it costs what checking a real one does."""
    hasher = settings.PASSWORD_HASHERS[0]
    known = _dummy_hashes()
    if hasher not in known:
        known[hasher] = make_password(secrets.token_urlsafe(24))
    return known[hasher]
