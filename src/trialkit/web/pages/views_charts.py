"""The study charts: enrolment against the plan, the screening funnel, adverse events by grade,
visit compliance and query ageing, each drawn and tabulated with the same numbers.

Pooled over arms and narrowed to the actor's sites by the readers (study_charts.py,
adverse_event_counts.py); this view only draws what they count.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.utils.safestring import SafeString

from trialkit.web.pages import study_charts as counts
from trialkit.web.pages.adverse_event_counts import AdverseEventCounts, adverse_events_by_grade
from trialkit.web.pages.charts_bar import Series, bar_chart
from trialkit.web.pages.charts_step import RunningTotal, Target, step_chart
from trialkit.web.pages.query_ageing import AgeBucket
from trialkit.web.pages.session import page, render_page
from trialkit.web.pages.vocabulary import PERMISSION_WORDS, names
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.gate_facts import today
from trialkit.web.trial.study import current_study, protocol_of

SERIOUS, NOT_SERIOUS = "#a4161a", "#0072b2"
COMPLIANCE_COLOURS = ("#009e73", "#e69f00", "#a4161a", "#56b4e9", "#c9d0d9")


def _for_overseers(actor: Actor) -> str:
    protocol = actor.protocol()
    words = [PERMISSION_WORDS[p] for p in counts.OVERSIGHT]
    doing = ", ".join(words[:-1]) + " or " + words[-1]
    who = names(protocol, [r.id for r in protocol.roles
                           if set(r.can) & set(counts.OVERSIGHT)])
    return f"The study charts are for the roles that {doing} ({who})."


@page(counts.may_open_charts, why=_for_overseers)
def study_charts(request: HttpRequest, actor: Actor) -> HttpResponse:
    study = current_study()
    protocol = protocol_of(study)
    on = today()
    enrolment = counts.enrolment_over_time(actor, study, protocol)
    funnel = counts.screening_funnel(actor, study, protocol)
    events = adverse_events_by_grade(actor, study, protocol)
    visits = counts.visit_compliance(actor, study, protocol, on)
    ageing = counts.unresolved_query_ageing(actor)
    return render_page(request, actor, "pages/study_charts.html", {
        "title": "Study charts", "today": on, "enrolment": enrolment, "funnel": funnel,
        "events": events, "visits": visits, "ageing": ageing,
        "compliance": [label for _, label in counts.COMPLIANCE],
        "enrolment_chart": _enrolment_chart(enrolment, on, protocol.status.start.date),
        "funnel_chart": bar_chart([s for s, _ in funnel], [Series(
            "Participants", tuple(n for _, n in funnel))], title="Screening funnel",
            ident="funnel-chart"),
        "events_chart": _events_chart(events) if events.reads_events else None,
        "visits_chart": _visits_chart(visits), "ageing_chart": _ageing_chart(ageing)})


def _enrolment_chart(enrolment: counts.Enrolment, on: dt.date, start: dt.date) -> SafeString:
    """From the first enrolment (before any, the study's start) to today: a study that
    started years before its first enrolment would otherwise squeeze the steps to one side."""
    first = enrolment.days[0].day if enrolment.days else min(start, on)
    totals = [RunningTotal("Enrolled", tuple((d.day, d.enrolled_total) for d in enrolment.days))]
    targets = [Target("Planned enrolment", enrolment.planned)]
    if enrolment.randomized_planned is not None:
        totals.append(RunningTotal("Randomized", tuple(
            (d.day, d.randomized_total) for d in enrolment.days)))
        if enrolment.randomized_planned != enrolment.planned:
            targets.append(Target("Planned randomized", enrolment.randomized_planned))
    return step_chart(totals, targets, title="Enrolment against the planned enrolment",
                      ident="enrolment-chart", start=first, end=max(on, first))


def _events_chart(events: AdverseEventCounts) -> SafeString:
    return bar_chart([r.label for r in events.rows], [
        Series("Serious", tuple(r.serious for r in events.rows), SERIOUS),
        Series("Not serious", tuple(r.not_serious for r in events.rows), NOT_SERIOUS)],
        title=f"Adverse events {events.grouped_by}", ident="events-chart")


def _visits_chart(visits: list[counts.VisitCompliance]) -> SafeString:
    return bar_chart([v.visit for v in visits], [
        Series(label, tuple(v.counts()[i] for v in visits), COMPLIANCE_COLOURS[i])
        for i, (_, label) in enumerate(counts.COMPLIANCE)],
        title="Visit compliance by scheduled visit", ident="visits-chart")


def _ageing_chart(ageing: list[AgeBucket]) -> SafeString:
    return bar_chart([b.label for b in ageing], [
        Series("Open: the site's move", tuple(b.open for b in ageing), "#a4161a"),
        Series("Answered: data management's move", tuple(b.answered for b in ageing),
               "#e69f00")], title="Unresolved queries by age", ident="ageing-chart")
