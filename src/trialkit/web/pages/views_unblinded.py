"""Pages for unblinded roles only: the preparing role's queue (with its confirmations), the
list of procedures that differ by arm (real or sham) for the role that performs them, and the
randomization list. Every blinded fact is read through ``access``; each page is opened by the
permission its work needs together with the information it shows (``prepare_kit`` and
``sees: preparation``; ``perform_procedure`` and ``sees: procedure_type``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from trialkit.core.protocol.design import Administration
from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.readers import visible
from trialkit.web.pages.session import done, has, page, refused, render_page
from trialkit.web.pages.vocabulary import (
    OWN_PAGES,
    PREPARATIONS,
    PROCEDURES,
    holders,
    seers,
    workspace_label,
)
from trialkit.web.trial import access
from trialkit.web.trial.actions.base import (
    ActionError,
    Actor,
    InvalidInputError,
    StateConflictError,
)
from trialkit.web.trial.actions.preparations import do_confirm_preparation
from trialkit.web.trial.actions.randomization import (
    do_generate_randomization_list,
    do_release_randomization_list,
)
from trialkit.web.trial.models import Participant, RandomizationList, ScheduledVisit
from trialkit.web.trial.study import current_study


@dataclass(frozen=True)
class Task:
    participant: Participant
    administration: str
    name: str
    due: object
    state: str
    """``given``, ``prepared`` (the kit is confirmed ready) or ``pending``."""
    detail: str
    """The preparation (preparing role) or real/sham (performing role); in a crossover part,
    for the arm of the administration's period."""
    kit_code: str
    period: str = ""
    """The name of the administration's crossover period (blank: none)."""


def _tasks(actor: Actor, role_field: str) -> list[tuple[Participant, Administration, str]]:
    """(participant, administration, kit code) of enrolled participants at the actor's sites
    whose administration this role prepares or performs."""
    protocol = actor.protocol()
    mine = [a for a in protocol.design.administrations if getattr(a, role_field) == actor.role]
    rows: list[tuple[Participant, Administration, str]] = []
    for participant in visible(actor, current_study()).filter(
            status=Participant.Status.ENROLLED).order_by("screening_number"):
        held = access.randomization_number_and_kit(participant, actor)
        rows.extend((participant, a, held[1] if held else "") for a in mine)
    return rows


def _period(actor: Actor, administration: Administration) -> str:
    names = {p.id: p.name for part in actor.protocol().design.parts for p in part.periods}
    return names.get(administration.period or "", "")


def _due(participant: Participant, visit_id: str) -> object:
    visit = ScheduledVisit.objects.filter(participant=participant, visit_id=visit_id).first()
    return visit.target_date if visit else None


def _state(participant: Participant, administration_id: str) -> str:
    if participant.administrations.filter(administration_id=administration_id).exists():
        return "given"
    if participant.preparations.filter(administration_id=administration_id).exists():
        return "prepared"
    return "pending"


def _for_preparers(actor: Actor) -> str:
    return (f"The preparation queue is for the preparing role "
            f"({holders(actor.protocol(), 'prepare_kit')}).")


def _for_performers(actor: Actor) -> str:
    return (f"This list is for the role that performs procedures "
            f"({holders(actor.protocol(), 'perform_procedure')}).")


def _for_list_managers(actor: Actor) -> str:
    return (f"Only the role that manages the randomization list opens it "
            f"({holders(actor.protocol(), 'manage_randomization')}).")


@page(OWN_PAGES[PREPARATIONS], why=_for_preparers)
def preparations(request: HttpRequest, actor: Actor) -> HttpResponse:
    tasks = []
    for participant, administration, kit in _tasks(actor, "prepared_by"):
        if not kit:
            continue  # an open-label part: no concealed kit to prepare
        preparation = access.access_preparation(kit, actor).get(administration.id, "")
        tasks.append(Task(participant, administration.id, administration.name,
                          _due(participant, administration.visit),
                          _state(participant, administration.id), preparation, kit,
                          _period(actor, administration)))
    return render_page(request, actor, "pages/unblinded_tasks.html", {
        "title": workspace_label(actor, PREPARATIONS), "tasks": tasks,
        "detail_label": "Prepare", "confirm": True,
        "intro": "Kits to prepare for the coming administrations; confirm each kit once it is "
                 "ready. This page is unblinded: do not share it with blinded staff."})


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
    return done(request, "Preparation confirmed.", back)


@page(OWN_PAGES[PROCEDURES], why=_for_performers)
def procedures(request: HttpRequest, actor: Actor) -> HttpResponse:
    tasks = []
    for participant, administration, kit in _tasks(actor, "performed_by"):
        try:
            kind = access.access_procedure_type(participant, administration.id, actor)
        except StateConflictError:
            continue  # a crossover participant receives it in no period of their sequence
        tasks.append(Task(participant, administration.id, administration.name,
                          _due(participant, administration.visit),
                          _state(participant, administration.id), kind, kit,
                          _period(actor, administration)))
    return render_page(request, actor, "pages/unblinded_tasks.html", {
        "title": workspace_label(actor, PROCEDURES), "tasks": tasks,
        "detail_label": "Procedure",
        "intro": "Procedures you perform, real or sham. This page is unblinded: keep it away "
                 "from the participant and blinded staff."})


@page(has("manage_randomization"), why=_for_list_managers)
def randomization_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    current = RandomizationList.objects.filter(
        study__protocol_id=current_study().protocol_id).first()
    return render_page(request, actor, "pages/randomization_list.html", {
        "title": "Randomization list", "current": current,
        "viewers": seers(actor.protocol(), "randomization_list"),
        "slots": access.access_randomization_list(actor) if current else []})


@require_POST
@page(has("manage_randomization"))
def randomization_list_action(request: HttpRequest, actor: Actor, step: str) -> HttpResponse:
    back = reverse("pages:randomization_list")
    try:
        if step == "generate":
            if "seed" in request.POST:  # an old form: say so rather than ignore the choice
                raise InvalidInputError("the seed is drawn by the server; none can be chosen",
                                        field="seed")
            do_generate_randomization_list(actor=actor)
        elif step == "release":
            do_release_randomization_list(actor=actor)
        else:
            raise InvalidInputError(f"unknown step '{step}'", field="step")
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, "List generated." if step == "generate" else "List released.", back)
