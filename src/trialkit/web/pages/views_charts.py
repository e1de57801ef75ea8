"""The study charts: enrolment against the plan, the screening funnel, adverse events by grade,
visit compliance and query ageing, each drawn and tabulated with the same numbers.

Pooled over arms and narrowed to the actor's sites by the readers (study_charts.py,
adverse_event_counts.py); this view only draws what they count.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from django.http import HttpRequest, HttpResponse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

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
# Words the readers count under in English (adverse_event_counts.py, query_ageing.py), shown
# here in the reader's language; marked so that the catalogue carries them.
SHOWN_WORDS = (gettext_noop("Not recorded"), gettext_noop("up to 7 days"),
               gettext_noop("8 to 30 days"), gettext_noop("over 30 days"))
_GRADE = re.compile(r"Grade (?P<grade>\S+?)(?:: (?P<words>.*))?", re.S)


def _shown(label: str) -> str:
    """A count's category as the page shows it: the software's words translated, the
    protocol's (a grade's decode, a visit's name) as they are."""
    found = _GRADE.fullmatch(str(label))
    if found is None:
        return _(str(label)) if str(label) in SHOWN_WORDS else str(label)
    if found["words"] is None:
        return _("Grade %(grade)s") % {"grade": found["grade"]}
    return _("Grade %(grade)s: %(words)s") % {"grade": found["grade"], "words": found["words"]}


def _events_words(events: AdverseEventCounts) -> tuple[str, str]:
    """The adverse events' chart title and table caption, by grade or by severity."""
    if events.grouped_by == "by grade":
        return _("Adverse events by grade"), _("Events by grade and seriousness")
    if events.grouped_by == "by severity":
        return _("Adverse events by severity"), _("Events by severity and seriousness")
    return (_("Adverse events %(grouped_by)s") % {"grouped_by": events.grouped_by},
            _("Events %(grouped_by)s and seriousness") % {"grouped_by": events.grouped_by})


def _for_overseers(actor: Actor) -> str:
    protocol = actor.protocol()
    words = [str(PERMISSION_WORDS[p]) for p in counts.OVERSIGHT]
    doing = _("%(some)s or %(last)s") % {"some": _(", ").join(words[:-1]), "last": words[-1]}
    who = names(protocol, [r.id for r in protocol.roles
                           if set(r.can) & set(counts.OVERSIGHT)])
    return _("The study charts are for the roles that %(doing)s (%(who)s).") % {
        "doing": doing, "who": who}


@page(counts.may_open_charts, why=_for_overseers)
def study_charts(request: HttpRequest, actor: Actor) -> HttpResponse:
    study = current_study()
    protocol = protocol_of(study)
    on = today()
    enrolment = counts.enrolment_over_time(actor, study, protocol)
    funnel = counts.screening_funnel(actor, study, protocol)
    events = adverse_events_by_grade(actor, study, protocol)
    visits = counts.visit_compliance(actor, study, protocol, on)
    ageing = [AgeBucket(_shown(b.label), b.open, b.answered)
              for b in counts.unresolved_query_ageing(actor)]
    funnel = [(_(step), n) for step, n in funnel]
    events_title, events_caption = _events_words(events)
    events = replace(events, heading=_("Grade") if events.heading == "Grade" else events.heading,
                     rows=[replace(r, label=_shown(r.label)) for r in events.rows])
    return render_page(request, actor, "pages/study_charts.html", {
        "title": _("Study charts"), "today": on, "enrolment": enrolment, "funnel": funnel,
        "events": events, "visits": visits, "ageing": ageing,
        "events_title": events_title, "events_caption": events_caption,
        "compliance": [_(label) for _key, label in counts.COMPLIANCE],
        "enrolment_chart": _enrolment_chart(enrolment, on, protocol.status.start.date),
        "funnel_chart": bar_chart([s for s, _n in funnel], [Series(
            _("Participants"), tuple(n for _s, n in funnel))], title=_("Screening funnel"),
            ident="funnel-chart"),
        "events_chart": _events_chart(events, events_title) if events.reads_events else None,
        "visits_chart": _visits_chart(visits), "ageing_chart": _ageing_chart(ageing)})


def _enrolment_chart(enrolment: counts.Enrolment, on: dt.date, start: dt.date) -> SafeString:
    """From the first enrolment (before any, the study's start) to today: a study that
    started years before its first enrolment would otherwise squeeze the steps to one side."""
    first = enrolment.days[0].day if enrolment.days else min(start, on)
    totals = [RunningTotal(_("Enrolled"),
                           tuple((d.day, d.enrolled_total) for d in enrolment.days))]
    targets = [Target(_("Planned enrolment"), enrolment.planned)]
    if enrolment.randomized_planned is not None:
        totals.append(RunningTotal(_("Randomized"), tuple(
            (d.day, d.randomized_total) for d in enrolment.days)))
        if enrolment.randomized_planned != enrolment.planned:
            targets.append(Target(_("Planned randomized"), enrolment.randomized_planned))
    return step_chart(totals, targets, title=_("Enrolment against the planned enrolment"),
                      ident="enrolment-chart", start=first, end=max(on, first))


def _events_chart(events: AdverseEventCounts, title: str) -> SafeString:
    return bar_chart([r.label for r in events.rows], [
        Series(_("Serious"), tuple(r.serious for r in events.rows), SERIOUS),
        Series(_("Not serious"), tuple(r.not_serious for r in events.rows), NOT_SERIOUS)],
        title=title, ident="events-chart")


def _visits_chart(visits: list[counts.VisitCompliance]) -> SafeString:
    return bar_chart([v.visit for v in visits], [
        Series(_(label), tuple(v.counts()[i] for v in visits), COMPLIANCE_COLOURS[i])
        for i, (_key, label) in enumerate(counts.COMPLIANCE)],
        title=_("Visit compliance by scheduled visit"), ident="visits-chart")


def _ageing_chart(ageing: list[AgeBucket]) -> SafeString:
    return bar_chart([b.label for b in ageing], [
        Series(_("Open: the site's move"), tuple(b.open for b in ageing), "#a4161a"),
        Series(_("Answered: data management's move"), tuple(b.answered for b in ageing),
               "#e69f00")], title=_("Unresolved queries by age"), ident="ageing-chart")
