"""Who is calling: a system with a bearer token, or a person with a session cookie and a role.

A token is issued by its owner for one of their roles, so it names the role itself; the actor
it makes carries the token, and every audit event written with it names the token and its
issuer. A person may hold several roles; they pick one at sign-in or with
``PUT /api/session/role`` (stored in the session), and may override it per request with the
``X-Trialkit-Role`` header. Either way the role must be one the user actively holds, checked on
every request (a revoked role stops working at once). A session ends after its absolute
lifetime however active; one whose password must be changed acts in no role until it is.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from trialkit.web.signin import must_change_password, session_expired
from trialkit.web.trial.actions.accounts import user_for_token
from trialkit.web.trial.actions.base import ActionError, Actor, actor_for

ROLE_HEADER = "X-Trialkit-Role"
SESSION_ROLE_KEY = "trialkit_role"


class TokenAuth(HttpBearer):
    """``Authorization: Bearer tk_...``: a system acting as a user in one role."""

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        try:
            user, role, via = user_for_token(token)
            return actor_for(user, role, via_token=via)
        except ActionError:
            return None


class SessionAuth(APIKeyCookie):
    """The Django session cookie of a signed-in person; unsafe methods need the CSRF token."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or session_expired(request) \
                or must_change_password(user):
            return None
        role = request.headers.get(ROLE_HEADER) or request.session.get(SESSION_ROLE_KEY)
        if not role:
            return None
        try:
            return actor_for(user, role)
        except ActionError:
            return None


class SignedInAuth(APIKeyCookie):
    """A signed-in person before a role is chosen (only for choosing one and signing out)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> object | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or session_expired(request):
            return None
        return user


def actor_of(request: HttpRequest) -> Actor:
    """The authenticated actor of an endpoint protected by token or session auth."""
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Actor):
        raise TypeError("endpoint reached without an authenticated actor")
    return actor


API_AUTH = [TokenAuth(), SessionAuth()]
