"""The participant page and what is done from it: visits, doses, enrolment, randomization,
emergency unblinding."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from trialkit.web.boundary.posted import Posted
from trialkit.web.pages import readers
from trialkit.web.pages.local_time import show_times_of
from trialkit.web.pages.participant_view import participant_page
from trialkit.web.pages.session import done, has, page, refused, render_page
from trialkit.web.pages.vocabulary import field_in_words, holders, notified, preparers
from trialkit.web.trial import access
from trialkit.web.trial.actions.base import ActionError, Actor
from trialkit.web.trial.actions.dosing import (
    do_correct_administration,
    do_record_administration,
    do_record_visit,
    why_not_record,
)
from trialkit.web.trial.actions.forms import awaiting_consent, may_enter
from trialkit.web.trial.actions.notifications import recipients
from trialkit.web.trial.actions.oversight import do_unblind_participant
from trialkit.web.trial.actions.participants import do_enrol_participant
from trialkit.web.trial.actions.randomization import do_randomize_participant
from trialkit.web.trial.gate_facts import today
from trialkit.web.trial.lookups import participant_for
from trialkit.web.trial.models import Participant


@page()
def participant(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    participant = participant_for(actor, pk)
    show_times_of(participant)
    view = participant_page(participant, actor)
    protocol = actor.protocol()
    recordable = [a for a in protocol.design.administrations if not why_not_record(actor, a)]
    given = {d.administration_id for d in view.doses}
    return render_page(request, actor, "pages/participant.html", {
        "title": _("Participant %(number)s") % {"number": view.participant.screening_number},
        "view": view,
        "administrations": recordable,
        "may_enrol": view.participant.status == Participant.Status.CONSENTED and (
            actor.can("enrol") or actor.can("randomize")),
        "today": today().isoformat(), "can_unblind": actor.can("emergency_unblind"),
        "can_screen": actor.can("screen"),
        "can_enter": actor.can("enter_data"), "can_dose": bool(recordable),
        "correctable": [a for a in recordable if a.id in given],
        "can_report": actor.can("report_adverse_event") or actor.can("enter_data"),
        "log_forms": [f for f in protocol.forms if f.repeating and may_enter(actor, f)
                      and not awaiting_consent(view.participant, f)]})


@require_POST
@page(has("enter_data"))
def record_visit(request: HttpRequest, actor: Actor, pk: int, visit_id: str) -> HttpResponse:
    participant = participant_for(actor, pk)
    show_times_of(participant)
    back = reverse("pages:participant", args=[pk])
    try:
        do_record_visit(participant, visit_id, Posted(request.POST).date("done_on"),
                        actor=actor)
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, _("Visit %(visit)s recorded.") % {"visit": visit_id}, back)


@require_POST
@page(has("record_administration", "perform_procedure"))
def record_dose(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    return _dose_act(request, actor, pk, lambda participant, posted: do_record_administration(
        participant, posted.text("administration_id"), posted.moment("given_at"),
        posted.text("kit_code", required=False), actor=actor,
        override_reason=posted.text("override_reason", required=False)),
        _("Administration recorded."))


@require_POST
@page(has("record_administration", "perform_procedure"))
def correct_dose(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    return _dose_act(request, actor, pk, lambda participant, posted: do_correct_administration(
        participant, posted.text("administration_id"), posted.moment("given_at"),
        posted.text("reason"), kit_code=posted.text("kit_code", required=False) or None,
        actor=actor), _("Administration corrected."))


def _dose_act(request: HttpRequest, actor: Actor, pk: int,
              act: Callable[[Participant, Posted], object], said: str) -> HttpResponse:
    """Parse the posted dose, act on it in the site's time, and go back to the participant."""
    participant = participant_for(actor, pk)
    show_times_of(participant)
    back = reverse("pages:participant", args=[pk])
    try:
        act(participant, Posted(request.POST))
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, said, back)


@page(has("enrol", "randomize"),
      why=gettext_lazy("Only roles that enrol or randomize open this page."))
def enrol(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """Every check shown before the button; the button performs the action."""
    participant = participant_for(actor, pk)
    show_times_of(participant)
    protocol = actor.protocol()
    parts = [p for p in protocol.design.parts
             if actor.can("randomize" if p.allocation == "RANDOMIZED" else "enrol")]
    if request.method == "POST":
        return _enrol_post(request, actor, participant)
    return render_page(request, actor, "pages/enrol.html", {
        "title": _("Enrol %(number)s") % {"number": participant.screening_number},
        "participant": participant,
        "options": [(p, p.allocation == "RANDOMIZED",
                     readers.enrolment_checks(participant, p.id, actor)) for p in parts]})


def _enrol_post(request: HttpRequest, actor: Actor, participant: Participant) -> HttpResponse:
    back = reverse("pages:enrol", args=[participant.pk])
    protocol = actor.protocol()
    try:
        part_id = Posted(request.POST).text("part")
        if protocol.randomization and protocol.randomization.part == part_id:
            do_randomize_participant(participant, actor=actor)
            return done(request, _("Randomized."), reverse("pages:randomization_result",
                                                        args=[participant.pk]))
        do_enrol_participant(participant, part_id, actor=actor)
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, _("Enrolled in %(part)s.") % {"part": protocol.part(part_id).name},
                reverse("pages:participant", args=[participant.pk]))


@page()
def randomization_result(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    participant = participant_for(actor, pk)
    show_times_of(participant)
    protocol = actor.protocol()
    randomized = protocol.randomization.part if protocol.randomization else ""
    return render_page(request, actor, "pages/randomization_result.html", {
        "title": _("Randomization result"), "participant": participant,
        "preparers": preparers(protocol),
        "crossover": bool(randomized) and protocol.part(randomized).is_crossover,
        "result": access.randomization_number_and_kit(participant, actor)})


def _for_unblinders(actor: Actor) -> str:
    return _("Only a role that may unblind in an emergency opens this page (%(roles)s).") % {
        "roles": holders(actor.protocol(), "emergency_unblind")}


@page(has("emergency_unblind"), why=_for_unblinders)
def unblind(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    participant = participant_for(actor, pk)
    show_times_of(participant)
    protocol = actor.protocol()
    error = ""
    if request.method == "POST":
        try:
            posted = Posted(request.POST)
            do_unblind_participant(participant, posted.text("reason"), posted.text("password"),
                                   actor=actor)
        except ActionError as exc:
            error = f"{field_in_words(exc.field) + ': ' if exc.field else ''}{exc.message}"
    # Blinded until this investigator unblinds: asked, not attempted (no refusal recorded).
    allocation = access.allocation_if_visible(participant, actor)
    if allocation is not None and not allocation.randomization_number:
        allocation = None  # an open-label part: nothing was concealed, nothing to unblind
    return render_page(request, actor, "pages/unblind.html", {
        "title": _("Emergency unblinding of %(number)s") % {
            "number": participant.screening_number},
        "participant": participant, "allocation": allocation, "error": error,
        "notified": notified(protocol, "emergency_unblinding"),
        "notified_count": len(recipients(protocol, "emergency_unblinding"))},
        status=422 if error else 200)

