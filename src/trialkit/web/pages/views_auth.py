"""Signing in (with the lockout of ``do_sign_in``), choosing a role, signing out."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.session import ROLE_KEY, render_page, roles_held
from trialkit.web.trial.actions.accounts import do_sign_in
from trialkit.web.trial.actions.base import InvalidInputError, NotPermittedError
from trialkit.web.trial.study import current_study, protocol_of

BACKEND = "django.contrib.auth.backends.ModelBackend"


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
            user = do_sign_in(username, posted.text("password"))
        except InvalidInputError as exc:
            context["error"] = f"{exc.field}: {exc.message}"
            return render_page(request, None, "pages/login.html", context, status=422)
        except NotPermittedError as exc:
            context["error"] = exc.message
            return render_page(request, None, "pages/login.html", context, status=401)
        login(request, user, backend=BACKEND)
        roles = roles_held(request)
        if len(roles) == 1:
            request.session[ROLE_KEY] = roles[0]
            return HttpResponseRedirect(_safe(request, next_url))
        return HttpResponseRedirect(reverse("pages:choose_role") + (
            f"?next={next_url}" if next_url else ""))
    return render_page(request, None, "pages/login.html", context)


def choose_role(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("pages:login"))
    protocol = protocol_of(current_study())
    held = roles_held(request)
    if request.method == "POST":
        role = Posted(request.POST).raw("role")
        if role in held:  # compared with the roles held, never stored or looked up
            request.session[ROLE_KEY] = role
            return HttpResponseRedirect(_safe(request, _next(request)))
    roles = [protocol.role(r) for r in held if r in {x.id for x in protocol.roles}]
    return render_page(request, None, "pages/choose_role.html", {"roles": roles})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
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
