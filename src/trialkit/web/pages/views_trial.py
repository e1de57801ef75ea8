"""The study dashboard, the participant list and registering a candidate."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from trialkit.web.boundary.posted import Posted
from trialkit.web.pages import my_tasks, readers
from trialkit.web.pages.session import done, has, page, refused, render_page
from trialkit.web.trial.actions.base import ActionError, Actor
from trialkit.web.trial.actions.participants import do_register_candidate
from trialkit.web.trial.capture_queries import running_sae_clocks
from trialkit.web.trial.models import Participant
from trialkit.web.trial.scope import sites_in_scope
from trialkit.web.trial.study import current_study, protocol_of, protocol_to_read


@page()
def dashboard(request: HttpRequest, actor: Actor) -> HttpResponse:
    study = current_study()
    protocol = protocol_of(study)
    deviation_count, deviations = readers.recent_deviations(actor, study)
    queries, clocks = readers.query_counts(actor, study), running_sae_clocks(actor=actor)
    tasks = my_tasks.my_tasks(actor) if my_tasks.has_tasks(actor) else None
    return render_page(request, actor, "pages/dashboard.html", {
        "title": _("Study dashboard"), "parts": readers.enrolment_by_part(actor, study, protocol),
        "funnel": readers.funnel(actor, study),
        "gates": readers.gate_status(study, protocol_to_read(study)),
        "due": readers.due_visits(actor, study), "queries": queries,
        "clocks": clocks, "deviation_count": deviation_count, "deviations": deviations,
        "tasks": tasks.waiting if tasks else []})


@page(my_tasks.has_tasks, why=gettext_lazy("Your role has no kind of task to list: nothing in "
                                            "this trial waits for it to act."))
def tasks(request: HttpRequest, actor: Actor) -> HttpResponse:
    """What waits for the person, item by item, by kind (the dashboard counts these lists)."""
    return render_page(request, actor, "pages/my_tasks.html", {
        "title": _("My tasks"), "tasks": my_tasks.my_tasks(actor)})


@page()
def participants(request: HttpRequest, actor: Actor) -> HttpResponse:
    study = current_study()
    query = Posted(request.GET)
    status = query.raw("status")
    listing, rows = readers.participant_listing(actor, study, protocol_of(study),
                                                status=status, page=query.raw("page"))
    return render_page(request, actor, "pages/participants.html", {
        "title": _("Participants"), "page_obj": listing, "status": status,
        "statuses": Participant.Status.choices, "rows": rows})


@page(has("screen"),
      why=gettext_lazy("Only roles that screen candidates open the screening list."))
def screening_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render_page(request, actor, "pages/screening_list.html", {
        "title": _("Screening"), "candidates": readers.in_screening(actor, current_study()),
        "sites": sites_in_scope(actor)})


@require_POST
@page(has("screen"))
def register_candidate(request: HttpRequest, actor: Actor) -> HttpResponse:
    back = reverse("pages:screening_list")
    try:
        posted = Posted(request.POST)
        participant = do_register_candidate(posted.text("screening_number"),
                                            posted.text("site"), actor=actor)
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, _("Candidate %(number)s registered.")
                % {"number": participant.screening_number},
                reverse("pages:screening", args=[participant.pk]))
