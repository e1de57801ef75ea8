"""Adverse-event coding: the coder's worklist (events at their sites not yet coded, or coded
before their term changed), with the dictionary's suggestions and a choice of term per event,
and the exact-match autocoder. The coder is blinded: nothing here reads allocation."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.local_time import show_times_of
from trialkit.web.pages.session import done, has, page, refused, render_page
from trialkit.web.trial.actions.base import ActionError, Actor, InvalidInputError
from trialkit.web.trial.actions.coding import (
    do_autocode_adverse_events,
    do_code_adverse_event,
)
from trialkit.web.trial.coding import EventCoding, awaiting, current_dictionary, suggestions
from trialkit.web.trial.lookups import form_record_for
from trialkit.web.trial.models import DictionaryTerm, DictionaryVersion


@dataclass(frozen=True)
class Choice:
    code: str
    label: str
    exact: bool


@dataclass(frozen=True)
class Waiting:
    event: EventCoding
    form_name: str
    looked_for: str
    choices: list[Choice]


def _label(term: DictionaryTerm) -> str:
    return f"{term.llt_name} → {term.pt_name} ({term.soc_name})"


def _waiting(request: HttpRequest, actor: Actor,
             dictionary: DictionaryVersion | None) -> list[Waiting]:
    names = {f.id: f.name for f in actor.protocol().forms}
    query = Posted(request.GET)
    found = []
    for event in awaiting(actor):
        try:
            looked_for = query.text(f"look-{event.record.pk}", required=False,
                                    as_field="query_value").strip()
        except InvalidInputError:  # words no rule accepts: suggest for the term itself
            looked_for = ""
        choices = [Choice(term.llt_code, _label(term), s.match == "exact")
                   for s, term in suggestions(dictionary, looked_for or event.verbatim)
                   ] if dictionary is not None else []
        found.append(Waiting(event, names.get(event.record.form_id, event.record.form_id),
                             looked_for, choices))
    return found


@page(has("code_terms"),
      why=gettext_lazy("Only roles that code adverse events have this worklist."))
def coding(request: HttpRequest, actor: Actor) -> HttpResponse:
    from django.utils.translation import gettext as _

    dictionary = current_dictionary()
    waiting = _waiting(request, actor, dictionary)
    return render_page(request, actor, "pages/coding.html", {
        "title": _("Adverse event coding"), "dictionary": dictionary, "waiting": waiting,
        "stale": sum(w.event.status == "stale" for w in waiting)})


@require_POST
@page(has("code_terms"))
def code_event(request: HttpRequest, actor: Actor, record_id: int) -> HttpResponse:
    from django.utils.translation import gettext as _

    record = form_record_for(actor, record_id)
    show_times_of(record.participant)
    back = reverse("pages:coding")
    try:
        coding = do_code_adverse_event(record, Posted(request.POST).text("llt_code"),
                                       actor=actor)
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, _("%(participant)s: “%(verbatim)s” coded to %(term)s.") % {
        "participant": record.participant.screening_number, "verbatim": coding.verbatim,
        "term": _label(coding.term)}, back)


@require_POST
@page(has("code_terms"))
def autocode(request: HttpRequest, actor: Actor) -> HttpResponse:
    from django.utils.translation import gettext as _

    back = reverse("pages:coding")
    try:
        codings = do_autocode_adverse_events(actor=actor)
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, _("%(events)s event(s) coded to the term they exactly match.") % {
        "events": len(codings)}, back)
