"""Pages for unblinded roles only: the cell lab's preparation queue, the IT proceduralist's list
(real or sham) and the randomization list. Every blinded fact is read through ``access``."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from trialkit.core.protocol.design import Administration
from trialkit.web.pages.readers import visible
from trialkit.web.pages.session import done, has, page, refused, render_page, sees
from trialkit.web.trial import access
from trialkit.web.trial.actions.base import ActionError, Actor, InvalidInputError
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
    given: bool
    detail: str
    """The preparation (cell lab) or real/sham (proceduralist)."""
    kit_code: str


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


def _due(participant: Participant, visit_id: str) -> object:
    visit = ScheduledVisit.objects.filter(participant=participant, visit_id=visit_id).first()
    return visit.target_date if visit else None


@page(sees("preparation"), why="The preparation queue is for the unblinded cell lab.")
def cell_lab(request: HttpRequest, actor: Actor) -> HttpResponse:
    tasks = []
    for participant, administration, kit in _tasks(actor, "prepared_by"):
        if not kit:
            continue  # an open-label part: no concealed kit to prepare
        given = participant.administrations.filter(
            administration_id=administration.id).exists()
        preparation = access.access_preparation(kit, actor).get(administration.id, "")
        tasks.append(Task(participant, administration.id, administration.name,
                          _due(participant, administration.visit), given, preparation, kit))
    return render_page(request, actor, "pages/unblinded_tasks.html", {
        "title": "Cell-lab preparation queue", "tasks": tasks, "detail_label": "Prepare",
        "intro": "Kits to prepare for the coming administrations. This page is unblinded: "
                 "do not share it with blinded staff."})


@page(sees("procedure_type"), why="This list is for the unblinded proceduralist.")
def procedures(request: HttpRequest, actor: Actor) -> HttpResponse:
    tasks = []
    for participant, administration, kit in _tasks(actor, "performed_by"):
        given = participant.administrations.filter(
            administration_id=administration.id).exists()
        kind = access.access_procedure_type(participant, administration.id, actor)
        tasks.append(Task(participant, administration.id, administration.name,
                          _due(participant, administration.visit), given, kind, kit))
    return render_page(request, actor, "pages/unblinded_tasks.html", {
        "title": "IT procedures", "tasks": tasks, "detail_label": "Procedure",
        "intro": "Procedures you perform, real or sham. This page is unblinded: keep it away "
                 "from the participant and blinded staff."})


@page(has("manage_randomization"), why="Only the unblinded statistician manages the list.")
def randomization_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    current = RandomizationList.objects.filter(study=current_study()).first()
    return render_page(request, actor, "pages/randomization_list.html", {
        "title": "Randomization list", "current": current,
        "slots": access.access_randomization_list(actor) if current else []})


@require_POST
@page(has("manage_randomization"))
def randomization_list_action(request: HttpRequest, actor: Actor, step: str) -> HttpResponse:
    back = reverse("pages:randomization_list")
    try:
        if step == "generate":
            seed = request.POST.get("seed", "")
            if not seed.isdigit():
                raise InvalidInputError("the seed is a non-negative integer", field="seed")
            do_generate_randomization_list(int(seed), actor=actor)
        elif step == "release":
            do_release_randomization_list(actor=actor)
        else:
            raise InvalidInputError(f"unknown step '{step}'", field="step")
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, "List generated." if step == "generate" else "List released.", back)
