"""Pages for unblinded roles only: the preparing role's queue (with its confirmations), the
list of procedures that differ by arm (real or sham) for the role that performs them, and the
randomization list. Every blinded fact is read through ``access``; each page is opened by the
permission its work needs together with the information it shows (``prepare_kit`` and
``sees: preparation``; ``perform_procedure`` and ``sees: procedure_type``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trialkit.core.randomization.lists import stratum_in_words
from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.session import done, has, page, refused, render_page
from trialkit.web.pages.unblinded_tasks import current_list, preparation_tasks, procedure_tasks
from trialkit.web.pages.vocabulary import (
    OWN_PAGES,
    PREPARATIONS,
    PROCEDURES,
    holders,
    seers,
    workspace_label,
)
from trialkit.web.trial import access
from trialkit.web.trial.actions.base import ActionError, Actor, InvalidInputError
from trialkit.web.trial.actions.preparations import do_confirm_preparation
from trialkit.web.trial.actions.randomization import (
    do_generate_randomization_list,
    do_release_randomization_list,
    stored_stratum,
)
from trialkit.web.trial.study import current_study


def _for_preparers(actor: Actor) -> str:
    return _("The preparation queue is for the preparing role (%(roles)s).") % {
        "roles": holders(actor.protocol(), "prepare_kit")}


def _for_performers(actor: Actor) -> str:
    return _("This list is for the role that performs procedures (%(roles)s).") % {
        "roles": holders(actor.protocol(), "perform_procedure")}


def _for_list_managers(actor: Actor) -> str:
    return _("Only the role that manages the randomization list opens it (%(roles)s).") % {
        "roles": holders(actor.protocol(), "manage_randomization")}


@page(OWN_PAGES[PREPARATIONS], why=_for_preparers)
def preparations(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render_page(request, actor, "pages/unblinded_tasks.html", {
        "title": workspace_label(actor, PREPARATIONS), "tasks": preparation_tasks(actor),
        "detail_label": _("Prepare"), "confirm": True,
        "intro": _("Kits to prepare for the coming administrations; confirm each kit once it "
                   "is ready. This page is unblinded: do not share it with blinded staff.")})


@require_POST
@page(OWN_PAGES[PREPARATIONS])
def confirm_preparation(request: HttpRequest, actor: Actor) -> HttpResponse:
    back = reverse("pages:preparations")
    try:
        posted = Posted(request.POST)
        do_confirm_preparation(posted.text("kit_code"), posted.text("administration_id"),
                               actor=actor)
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, _("Preparation confirmed."), back)


@page(OWN_PAGES[PROCEDURES], why=_for_performers)
def procedures(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render_page(request, actor, "pages/unblinded_tasks.html", {
        "title": workspace_label(actor, PROCEDURES), "tasks": procedure_tasks(actor),
        "detail_label": _("Procedure"),
        "intro": _("Procedures you perform, real or sham. This page is unblinded: keep it away "
                   "from the participant and blinded staff.")})


@page(has("manage_randomization"), why=_for_list_managers)
def randomization_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    current = current_list(current_study())
    protocol = actor.protocol()
    slots = access.access_randomization_list(actor) if current else []
    return render_page(request, actor, "pages/randomization_list.html", {
        "title": _("Randomization list"), "current": current,
        "part_name": protocol.part(current.part).name if current else "",
        "viewers": seers(protocol, "randomization_list"),
        "slots": [{**slot, "stratum": stratum_in_words(protocol, stored_stratum(
            slot["stratum"]))} for slot in slots]})


@require_POST
@page(has("manage_randomization"))
def randomization_list_action(request: HttpRequest, actor: Actor, step: str) -> HttpResponse:
    back = reverse("pages:randomization_list")
    try:
        if step == "generate":
            if "seed" in request.POST:  # an old form: say so rather than ignore the choice
                raise InvalidInputError(
                    _("the seed is drawn by the server; none can be chosen"), field="seed")
            do_generate_randomization_list(actor=actor)
        elif step == "release":
            do_release_randomization_list(actor=actor)
        else:
            raise InvalidInputError(_("unknown step '%(step)s'") % {"step": step},
                                    field="step")
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, _("List generated.") if step == "generate" else _("List released."),
                back)
