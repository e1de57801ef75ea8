"""Who is acting on a page: the signed-in user in the role chosen for this session.

Every page view is wrapped by ``page``: it turns the session into an ``Actor`` (or sends the
browser to sign in / choose a role), checks the page's own condition, and turns the actions'
refusals into proper answers (403, 404). Views then only parse, delegate and render.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from trialkit.web.pages.local_time import zone_caption
from trialkit.web.pages.navigation import navigation
from trialkit.web.pages.vocabulary import field_in_words
from trialkit.web.signin import must_change_password, session_expired
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import (
    ActionError,
    Actor,
    NotFoundError,
    NotPermittedError,
    actor_for,
)
from trialkit.web.trial.models import Membership
from trialkit.web.trial.scope import is_study_wide, sites_in_scope
from trialkit.web.trial.site_time import zone_for
from trialkit.web.trial.study import NoStudyError, current_study, protocol_to_read, version_view

ROLE_KEY = "trialkit_role"
View = Callable[..., HttpResponse]
Condition = Callable[[Actor], bool]


def roles_held(request: HttpRequest) -> list[str]:
    return sorted(set(Membership.objects.filter(user=request.user, active=True).values_list(
        "role", flat=True)))


def session_actor(request: HttpRequest) -> Actor | None:
    """The session's actor; None once the session outlived its absolute lifetime (it is ended
    here), while the password must be changed, or before a role is chosen."""
    role = request.session.get(ROLE_KEY)
    if not request.user.is_authenticated or session_expired(request) \
            or must_change_password(request.user) or not role:  # type: ignore[arg-type]
        return None
    try:
        return actor_for(request.user, role)  # type: ignore[arg-type]
    except NotPermittedError:  # the role was revoked since the session began
        request.session.pop(ROLE_KEY, None)
        return None


def page(condition: Condition | None = None, *,
         why: str | Callable[[Actor], str] = "") -> Callable[[View], View]:
    """Wrap a view taking ``(request, actor, ...)``; ``condition`` says who may open it and
    ``why`` (text, or text made from the actor's protocol) what the refusal says."""

    def decorate(view: View) -> View:
        @wraps(view)
        def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return HttpResponseRedirect(reverse("pages:login") + "?"
                                            + urlencode({"next": request.get_full_path()}))
            actor = session_actor(request)
            if actor is None:
                return HttpResponseRedirect(_where_instead(request))
            if condition is not None and not condition(actor):
                reason = why(actor) if callable(why) else why
                return refusal(request, actor, reason or _("Your role may not open this page."),
                               403)
            with timezone.override(zone_for(actor)):  # a participant's page may change it
                try:
                    return view(request, actor, *args, **kwargs)
                except NotFoundError as exc:
                    return refusal(request, actor, exc.message, 404)
                except NotPermittedError as exc:
                    return refusal(request, actor, exc.message, 403)

        return run

    return decorate


def _where_instead(request: HttpRequest) -> str:
    if not request.user.is_authenticated:  # the session has just ended
        return reverse("pages:login") + "?" + urlencode({"next": request.get_full_path()})
    if must_change_password(request.user):  # type: ignore[arg-type]
        return reverse("pages:change_password")
    return reverse("pages:choose_role")


def refusal(request: HttpRequest, actor: Actor | None, message: str,
            status: int) -> HttpResponse:
    title = _("Not found") if status == 404 else _("Not permitted")
    return render_page(request, actor, "pages/refusal.html",
                       {"title": title, "message": message}, status=status)


def render_page(request: HttpRequest, actor: Actor | None, template: str,
                context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render with what every page shows: the study, the role, the sites and the navigation."""
    base: dict[str, Any] = {"actor": actor, "nav": [], "partial": _partial(request),
                            "printed_at": clock.now()}
    try:
        study = current_study()
        protocol = protocol_to_read(study)
        base["study"] = {"id": protocol.identity.id, "title": protocol.identity.brief_title,
                         "version": version_view(study.protocol_version),
                         "locked": study.locked_at}
        # Pages name roles by the protocol's names: {{ role_names|lookup:id }} (words.py).
        base["role_names"] = {role.id: role.name for role in protocol.roles}
        base["visit_names"] = {visit.id: visit.name for visit in protocol.schedule.visits}
        base["administration_names"] = {a.id: a.name for a in protocol.design.administrations}
        base["time_zone"] = zone_caption()
    except NoStudyError:
        protocol = None
    if actor is not None and protocol is not None:
        role = protocol.role(actor.role)
        base.update(role_name=role.name, nav=navigation(actor, request.path),
                    acting_sites=_sites(actor), other_roles=len(roles_held(request)) > 1)
    return render(request, template, {**base, **context}, status=status)


def _sites(actor: Actor) -> str:
    if is_study_wide(actor):
        return _("All sites")
    return ", ".join(sites_in_scope(actor).values_list("code", flat=True))


def _partial(request: HttpRequest) -> bool:
    """A request from the page's own script for a fragment (progressive enhancement)."""
    return request.headers.get("X-Fragment") == "1"


def done(request: HttpRequest, message: str, to: str) -> HttpResponseRedirect:
    messages.success(request, message)
    return HttpResponseRedirect(to)


def refused(request: HttpRequest, error: ActionError, to: str) -> HttpResponseRedirect:
    """An action refused: say why (naming the field) on the page the user comes back to."""
    where = f"{field_in_words(error.field)}: " if error.field else ""
    messages.error(request, f"{where}{error.message}")
    return HttpResponseRedirect(to)


def has(*permissions: str) -> Condition:
    """Condition: the role holds any of these permissions."""
    return lambda actor: any(actor.can(p) for p in permissions)  # type: ignore[arg-type]


def sees(information: str) -> Condition:
    return lambda actor: actor.sees(information)
