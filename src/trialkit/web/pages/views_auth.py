"""Signing in (throttled, ``do_sign_in``; with a second factor where the person's roles need
one), choosing a role, signing out, and changing one's password."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.account_readers import totp_secret
from trialkit.web.pages.session import ROLE_KEY, render_page, roles_held
from trialkit.web.pages.vocabulary import field_in_words
from trialkit.web.signin import (
    begin_pending,
    client_address,
    must_change_password,
    pending_user,
    remember_browser,
    session_expired,
    start_session,
    trusted_browser,
)
from trialkit.web.trial.actions.accounts import do_change_password, do_sign_in, owner
from trialkit.web.trial.actions.base import (
    ActionError,
    InvalidInputError,
    NotPermittedError,
    ThrottledError,
)
from trialkit.web.trial.actions.sessions import do_sign_out, do_switch_role
from trialkit.web.trial.actions.two_factor import (
    do_start_two_factor,
    do_verify_second_factor,
    enrolled,
    provisioning_uri,
    second_factor_needed,
)
from trialkit.web.trial.study import current_study, protocol_to_read

PENDING_NEXT = "trialkit_pending_next"


def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _next(request)
    context = {"next": next_url, "username": "", "error": "",
               "timeout_minutes": settings.SESSION_COOKIE_AGE // 60}
    if request.method == "POST":
        posted = Posted(request.POST)
        try:
            # Checked before the sign-in action: a refused username is not an attempt, so
            # it is never written to the audit trail.
            username = posted.text("username")
            context["username"] = username
            user = do_sign_in(username, posted.text("password"),
                              source=client_address(request),
                              trusted=trusted_browser(request, username))
        except InvalidInputError as exc:
            context["error"] = f"{field_in_words(exc.field)}: {exc.message}"
            return render_page(request, None, "pages/login.html", context, status=422)
        except ThrottledError as exc:
            context["error"] = exc.message
            return render_page(request, None, "pages/login.html", context, status=429)
        except NotPermittedError as exc:
            context["error"] = exc.message
            return render_page(request, None, "pages/login.html", context, status=401)
        if second_factor_needed(user):
            begin_pending(request, user, trusted_browser(request, username))
            request.session[PENDING_NEXT] = next_url
            step = "login_code" if enrolled(user) else "login_enrol"
            return HttpResponseRedirect(reverse(f"pages:{step}"))
        return _signed_in(request, user, next_url)
    return render_page(request, None, "pages/login.html", context)


def _signed_in(request: HttpRequest, user: User, next_url: str,
               recovery_codes: list[str] | None = None) -> HttpResponse:
    """Start the session; then the password to change, the role to choose, or the page."""
    start_session(request, user)
    if recovery_codes:
        response = render_page(request, None, "pages/recovery_codes.html", {
            "codes": recovery_codes, "continue_to": _after_sign_in(request, user, next_url)})
    else:
        response = HttpResponseRedirect(_after_sign_in(request, user, next_url))
    return remember_browser(response, user)


def _after_sign_in(request: HttpRequest, user: User, next_url: str) -> str:
    if must_change_password(user):
        return reverse("pages:change_password")
    roles = roles_held(request)
    if len(roles) == 1:
        request.session[ROLE_KEY] = roles[0]
        return _safe(request, next_url)
    return reverse("pages:choose_role") + (f"?next={next_url}" if next_url else "")


def second_factor(request: HttpRequest) -> HttpResponse:
    """The code from the authenticator app (or a recovery code), after the right password."""
    user = pending_user(request)
    if user is None:
        return HttpResponseRedirect(reverse("pages:login"))
    context = {"error": "", "username": user.get_username()}
    if request.method == "POST":
        try:
            codes = do_verify_second_factor(user, Posted(request.POST).raw("code"),
                                            source=client_address(request))
        except ActionError as exc:
            context["error"] = exc.message
            return render_page(request, None, "pages/login_code.html", context,
                               status=429 if isinstance(exc, ThrottledError) else 401)
        return _signed_in(request, user, request.session.get(PENDING_NEXT, ""), codes)
    return render_page(request, None, "pages/login_code.html", context)


def enrol_second_factor(request: HttpRequest) -> HttpResponse:
    """Enrolment as part of signing in: the secret for the authenticator app, then its first
    code, which confirms the enrolment and shows the recovery codes once."""
    user = pending_user(request)
    if user is None:
        return HttpResponseRedirect(reverse("pages:login"))
    if enrolled(user):
        return HttpResponseRedirect(reverse("pages:login_code"))
    secret = totp_secret(user) or do_start_two_factor(user)
    context = {"error": "", "secret": secret, "uri": provisioning_uri(user, secret),
               "username": user.get_username()}
    if request.method == "POST":
        try:
            codes = do_verify_second_factor(user, Posted(request.POST).raw("code"),
                                            source=client_address(request))
        except ActionError as exc:
            context["error"] = exc.message
            return render_page(request, None, "pages/login_enrol.html", context, status=401)
        return _signed_in(request, user, request.session.get(PENDING_NEXT, ""), codes)
    return render_page(request, None, "pages/login_enrol.html", context)


def change_password(request: HttpRequest) -> HttpResponse:
    """One's own password, re-entering the current one; the only page open after an
    administrator's reset until it is done."""
    if not request.user.is_authenticated or session_expired(request):
        return HttpResponseRedirect(reverse("pages:login"))
    context = {"error": "", "forced": must_change_password(request.user),  # type: ignore[arg-type]
               "title": _("Change your password")}
    if request.method == "POST":
        posted = Posted(request.POST)
        try:
            do_change_password(posted.raw("password"), posted.raw("new_password"),
                               actor=owner(request.user))  # type: ignore[arg-type]
        except ActionError as exc:
            context["error"] = f"{field_in_words(exc.field)}: {exc.message}"
            return render_page(request, None, "pages/change_password.html", context,
                               status=exc.status)
        # A new password ends the session (Django ties sessions to it): sign in again.
        logout(request)
        return HttpResponseRedirect(reverse("pages:login") + "?changed=1")
    return render_page(request, None, "pages/change_password.html", context)


def choose_role(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated or session_expired(request):
        return HttpResponseRedirect(reverse("pages:login"))
    if must_change_password(request.user):  # type: ignore[arg-type]
        return HttpResponseRedirect(reverse("pages:change_password"))
    protocol = protocol_to_read(current_study())
    held = roles_held(request)
    if request.method == "POST":
        role = Posted(request.POST).raw("role")
        if role in held and _switched(request, role):  # compared with the roles held
            request.session[ROLE_KEY] = role
            return HttpResponseRedirect(_safe(request, _next(request)))
    roles = [protocol.role(r) for r in held if r in {x.id for x in protocol.roles}]
    return render_page(request, None, "pages/choose_role.html", {"roles": roles})


def _switched(request: HttpRequest, role: str) -> bool:
    """Audited (actions/sessions.py): which role a person acts in is part of the record."""
    try:
        do_switch_role(request.user, role,  # type: ignore[arg-type]
                       previous=request.session.get(ROLE_KEY))
    except NotPermittedError:  # revoked since the list was read
        return False
    return True


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:  # audited (actions/sessions.py)
        do_sign_out(request.user, request.session.get(ROLE_KEY))  # type: ignore[arg-type]
    logout(request)
    return HttpResponseRedirect(reverse("pages:login"))


def _next(request: HttpRequest) -> str:
    """Where to go after signing in; a value no URL could be is ignored."""
    for source in (request.POST, request.GET):
        try:
            found = Posted(source).text("next", required=False, as_field="query_value")
        except InvalidInputError:
            found = ""
        if found:
            return found
    return ""


def _safe(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return reverse("pages:dashboard")
