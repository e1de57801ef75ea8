"""Screening a candidate: the screening forms, the per-criterion checklist computed from what is
entered so far (``screening_checklist``, a read), the investigator's judgements, consent and
screen failure. Storing an evaluation, a judgement, consent or a failure are actions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from trialkit.core.hygiene import DateKind
from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.local_time import show_times_of
from trialkit.web.pages.screening_checklist import checklist, screening_form_lines
from trialkit.web.pages.session import done, has, page, refused, render_page
from trialkit.web.trial.actions.base import ActionError, Actor, InvalidInputError
from trialkit.web.trial.actions.forms import awaiting_consent
from trialkit.web.trial.actions.kernel import why_not_before_consent
from trialkit.web.trial.actions.participants import (
    do_evaluate_eligibility,
    do_judge_criteria,
    do_record_consent,
    do_record_screen_failure,
    screened_under,
)
from trialkit.web.trial.gate_facts import today
from trialkit.web.trial.lookups import participant_for
from trialkit.web.trial.models import Participant


def _index_date(request: HttpRequest, participant: Participant) -> tuple[dt.date, str]:
    """The planned Day 0 asked for (any plausible date: a past one shows an enrolled
    participant's screening), and why the one given was not taken."""
    fallback = participant.planned_day0 or today() + dt.timedelta(days=7)
    if not request.GET.get("index_date"):
        return fallback, ""
    try:
        return Posted(request.GET).date("index_date", kind=DateKind.ANY), ""
    except InvalidInputError as exc:
        return fallback, _("Planned Day 0 %(problem)s; the checklist is for %(date)s.") % {
            "problem": exc.message, "date": fallback}


@page(has("screen"), why=gettext_lazy("Only roles that screen candidates open screening."))
def screening(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    participant = participant_for(actor, pk)
    show_times_of(participant)
    protocol = actor.protocol()
    index, refused_date = _index_date(request, participant)
    verdict, lines, problem = checklist(participant, protocol, index)
    # No study data before consent: until it is on file only the consent form is offered.
    problem = " ".join(p for p in (refused_date, problem, why_not_before_consent(
        participant, gettext_lazy("entering the screening forms"))) if p)
    context = {"participant": participant, "verdict": verdict, "lines": lines,
               "problem": problem, "index_date": index.isoformat()}
    if request.headers.get("X-Fragment") == "1":
        return render(request, "pages/checklist.html", context)
    forms = [line for line in screening_form_lines(participant, protocol, actor)
             if not awaiting_consent(participant, line[1])]
    stored = participant.evaluation()
    return render_page(request, actor, "pages/screening.html", {
        **context, "title": _("Screening %(number)s") % {"number": participant.screening_number},
        "forms": forms,
        "stored": stored, "undecided": [line for line in lines if stored and line.id in
                                        stored.undecided],
        "may_judge": actor.can("sign"), "may_consent": actor.can("consent"),
        "screened_under": screened_under(participant), "today": today().isoformat()})


@require_POST
@page(has("screen", "consent", "sign"))
def screening_action(request: HttpRequest, actor: Actor, pk: int, step: str) -> HttpResponse:
    participant = participant_for(actor, pk)
    show_times_of(participant)
    back = reverse("pages:screening", args=[pk])
    post = Posted(request.POST)  # each field read under its rule (trialkit.web.boundary)
    try:
        if step == "evaluate":
            result = do_evaluate_eligibility(participant, _date(post, "index_date"), actor=actor)
            message = _("Eligibility evaluated: %(verdict)s.") % {
                "verdict": verdict_in_words(result.verdict)}
        elif step == "judge":
            judgements = {k.removeprefix("judge-"): v for k, v in post.items()
                          if k.startswith("judge-") and v}
            result = do_judge_criteria(participant, judgements, post.get("rationale", ""),
                                       post.get("password", ""), actor=actor)
            message = _("Judgements recorded: %(verdict)s.") % {
                "verdict": verdict_in_words(result.verdict)}
        elif step == "consent":
            do_record_consent(participant, _date(post, "consent_date"),
                              post.get("form_version", ""), post.get("taken_by", ""),
                              actor=actor)
            message = _("Consent recorded.")
        elif step == "fail":
            do_record_screen_failure(participant, post.get("reason", ""), actor=actor)
            message = _("Screen failure recorded.")
        else:
            raise InvalidInputError(_("unknown step '%(step)s'") % {"step": step}, field="step")
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, message, back)


def verdict_in_words(verdict: str) -> str:
    """An eligibility verdict (``eligible``, ``ineligible``, ``incomplete``) in words."""
    words = {"eligible": pgettext("eligibility verdict", "eligible"),
             "ineligible": pgettext("eligibility verdict", "ineligible"),
             "incomplete": pgettext("eligibility verdict", "incomplete")}
    return words.get(verdict, verdict)


def _date(post: Any, field: str) -> dt.date:
    """``post`` is the form read through the boundary (``Posted``)."""
    return post.date(field)
