"""What the unblinded roles' own pages list: the preparing role's kits to prepare and the
performing role's procedures (real or sham), and the current randomization list.

Every blinded fact (kit contents, real or sham) is read through ``access``, which refuses a
role that does not ``see`` it; these readers are called only by the pages those roles open.
"""

from __future__ import annotations

from dataclasses import dataclass

from trialkit.core.protocol.design import Administration
from trialkit.web.pages.readers import visible
from trialkit.web.trial import access
from trialkit.web.trial.actions.base import Actor, StateConflictError
from trialkit.web.trial.models import Participant, RandomizationList, ScheduledVisit, Study
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


def preparation_tasks(actor: Actor) -> list[Task]:
    """Kits the actor's role prepares, with what to prepare (``access.access_preparation``)."""
    tasks = []
    for participant, administration, kit in _tasks(actor, "prepared_by"):
        if not kit:
            continue  # an open-label part: no concealed kit to prepare
        preparation = access.access_preparation(kit, actor).get(administration.id, "")
        tasks.append(_task(actor, participant, administration, preparation, kit))
    return tasks


def procedure_tasks(actor: Actor) -> list[Task]:
    """Procedures the actor's role performs, each real or sham
    (``access.access_procedure_type``)."""
    tasks = []
    for participant, administration, kit in _tasks(actor, "performed_by"):
        try:
            kind = access.access_procedure_type(participant, administration.id, actor)
        except StateConflictError:
            continue  # a crossover participant receives it in no period of their sequence
        tasks.append(_task(actor, participant, administration, kind, kit))
    return tasks


def _task(actor: Actor, participant: Participant, administration: Administration,
          detail: str, kit: str) -> Task:
    return Task(participant, administration.id, administration.name,
                _due(participant, administration.visit),
                _state(participant, administration.id), detail, kit,
                _period(actor, administration))


def current_list(study: Study) -> RandomizationList | None:
    return RandomizationList.objects.filter(study__protocol_id=study.protocol_id).first()
