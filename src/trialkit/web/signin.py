"""What the pages and the API share about a sign-in: the client address, the remembered
browser, the session's absolute lifetime and the step between the password and the second
factor (docs/security.md, "Accounts and sign-in")."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.models import User
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

from trialkit.web.trial import clock

BACKEND = "django.contrib.auth.backends.ModelBackend"
DEVICE_COOKIE = "trialkit_browser"
DEVICE_SALT = "trialkit.signin.browser"
SIGNED_IN_AT = "trialkit_signed_in_at"
PENDING = "trialkit_pending_sign_in"
PENDING_SECONDS = 300
"""How long the step between a right password and its second factor stays open."""


def client_address(request: HttpRequest) -> str:
    """The address the request came from. Behind the TLS proxy (``TRIALKIT_BEHIND_TLS_PROXY``)
    it is the last address the proxy appended to X-Forwarded-For: earlier entries are whatever
    the client chose to send."""
    if getattr(settings, "BEHIND_TLS_PROXY", False):
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1][:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


# -- the remembered browser ------------------------------------------------------------------

def _fingerprint(user: User) -> str:
    # Tied to the password hash: a new password forgets every remembered browser.
    return salted_hmac(DEVICE_SALT, user.password).hexdigest()[:32]


def trusted_browser(request: HttpRequest, username: str) -> bool:
    """Whether the request carries this user's remembered-browser cookie (set at a successful
    sign-in): such a browser is not paused by strangers' failures against the account."""
    value = request.COOKIES.get(DEVICE_COOKIE)
    if not value:
        return False
    try:
        data = signing.loads(value, salt=DEVICE_SALT,
                             max_age=dt.timedelta(days=settings.TRIALKIT_TRUSTED_DEVICE_DAYS))
    except signing.BadSignature:
        return False
    user = User.objects.filter(username=username).first()
    return (user is not None and isinstance(data, dict) and data.get("u") == user.pk
            and data.get("h") == _fingerprint(user))


def remember_browser(response: HttpResponse, user: User) -> HttpResponse:
    value = signing.dumps({"u": user.pk, "h": _fingerprint(user)}, salt=DEVICE_SALT)
    response.set_cookie(DEVICE_COOKIE, value,
                        max_age=settings.TRIALKIT_TRUSTED_DEVICE_DAYS * 86400,
                        secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax")
    return response


# -- the session -------------------------------------------------------------------------

def start_session(request: HttpRequest, user: User) -> None:
    """Sign the person in (a new session key) and note when, for the absolute lifetime."""
    request.session.pop(PENDING, None)
    login(request, user, backend=BACKEND)
    request.session[SIGNED_IN_AT] = clock.now().timestamp()


def session_expired(request: HttpRequest) -> bool:
    """End a session older than ``TRIALKIT_SESSION_MAX_SECONDS`` however active it was (the
    idle limit is Django's ``SESSION_COOKIE_AGE``). True when it has just been ended."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    started = request.session.get(SIGNED_IN_AT)
    age = clock.now().timestamp() - started if isinstance(started, int | float) else None
    if age is not None and age <= settings.TRIALKIT_SESSION_MAX_SECONDS:
        return False
    # No start time: a session from before the limit existed, or one made without signing in.
    logout(request)
    return True


def must_change_password(user: User) -> bool:
    profile = getattr(user, "profile", None)
    return bool(profile is not None and profile.must_change_password)


# -- between the password and the second factor -------------------------------------------

def begin_pending(request: HttpRequest, user: User, trusted: bool) -> None:
    request.session.cycle_key()
    request.session[PENDING] = {"user": user.pk, "at": clock.now().timestamp(),
                                "trusted": trusted}


def pending_user(request: HttpRequest) -> User | None:
    """The person whose password was right in this browser a moment ago, if any."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if clock.now().timestamp() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    return User.objects.filter(pk=pending.get("user"), is_active=True).first()
