"""Signing in (with the lockout of ``do_sign_in``), choosing a role, signing out."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from trialkit.web.pages.session import ROLE_KEY, render_page, roles_held
from trialkit.web.trial.actions.accounts import do_sign_in
from trialkit.web.trial.actions.base import NotPermittedError
from trialkit.web.trial.study import current_study, protocol_of

BACKEND = "django.contrib.auth.backends.ModelBackend"


def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    context = {"next": next_url, "username": "", "error": "",
               "timeout_minutes": settings.SESSION_COOKIE_AGE // 60}
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        context["username"] = username
        try:
            user = do_sign_in(username, request.POST.get("password", ""))
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
        role = request.POST.get("role", "")
        if role in held:
            request.session[ROLE_KEY] = role
            return HttpResponseRedirect(_safe(request, request.GET.get("next", "")))
    roles = [protocol.role(r) for r in held if r in {x.id for x in protocol.roles}]
    return render_page(request, None, "pages/choose_role.html", {"roles": roles})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(reverse("pages:login"))


def _safe(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return reverse("pages:dashboard")
