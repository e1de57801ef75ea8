"""What the study charts count: enrolment against the protocol's plan, the screening funnel,
visit compliance and the ageing of unresolved queries (adverse events: adverse_event_counts.py).

Everything is pooled: nothing is split by arm, so a blinded role (or a committee that sees
tables by arm only at data cuts) learns no allocation here, directly or by watching a count
move. Every read goes through the actor's site scope (``readers.visible``, ``in_scope``), so a
site-scoped role counts the participants of its own sites; the targets stay the protocol's.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_noop

from trialkit.core.eligibility.evaluation import Evaluation
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.roles import Permission
from trialkit.core.scheduling.visits import PlannedVisit, VisitStatus
from trialkit.web.pages.query_ageing import AgeBucket, query_ageing
from trialkit.web.pages.readers import visible
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.capture_queries import queries_in_scope
from trialkit.web.trial.models import Participant, ScheduledVisit, Study
from trialkit.web.trial.scope import in_scope

OVERSIGHT: tuple[Permission, ...] = ("review_safety", "verify_source", "close_query",
                                     "lock_data", "export_data", "sign")
"""The permissions of the roles that oversee the trial (safety review, monitoring, data
management, analysis, the investigator who signs): they open the study charts."""

STATUS = Participant.Status
COMPLIANCE = (("in_window", gettext_noop("Done in window")),
              ("out_of_window", gettext_noop("Done out of window")),
              ("missed", gettext_noop("Missed")),
              ("due_now", gettext_noop("Due now (window open)")),
              ("not_yet_due", gettext_noop("Not yet due")))
"""How each scheduled visit stands, in the order the chart stacks them (labels in English,
marked for translation: the page translates them where it shows them)."""
FUNNEL_STEPS = (gettext_noop("Screened"), gettext_noop("Eligible"), gettext_noop("Consented"),
                gettext_noop("Enrolled"), gettext_noop("Randomized"), gettext_noop("Completed"))
"""The screening funnel's steps, in English (the page translates them where it shows them)."""


def may_open_charts(actor: Actor) -> bool:
    return any(actor.can(p) for p in OVERSIGHT)


@dataclass(frozen=True)
class EnrolmentDay:
    day: dt.date
    enrolled: int
    randomized: int
    enrolled_total: int
    randomized_total: int


@dataclass(frozen=True)
class Enrolment:
    days: list[EnrolmentDay]
    """One line per day someone was enrolled, in date order, with the running totals."""
    planned: int
    """The protocol's planned enrolment (``design.enrolment.count``), for the whole study."""
    randomized_planned: int | None
    """The targets of the randomized parts added up; None when no part is randomized."""

    @property
    def enrolled(self) -> int:
        return self.days[-1].enrolled_total if self.days else 0

    @property
    def randomized(self) -> int:
        return self.days[-1].randomized_total if self.days else 0


def randomized_parts(protocol: Protocol) -> set[str]:
    return {p.id for p in protocol.design.parts if p.allocation == "RANDOMIZED"}


def enrolment_over_time(actor: Actor, study: Study, protocol: Protocol) -> Enrolment:
    """Enrolments by the day they happened on the page's clock (the site's), randomized ones
    being those into a randomized part (randomizing is how such a part enrols)."""
    randomized = randomized_parts(protocol)
    rows = visible(actor, study).filter(sequence_in_part__isnull=False,
                                        enrolled_at__isnull=False).values_list("enrolled_at",
                                                                               "part")
    enrolled, allocated = Counter[dt.date](), Counter[dt.date]()
    for moment, part in rows:
        day = timezone.localdate(moment)
        enrolled[day] += 1
        allocated[day] += part in randomized
    days, running, running_randomized = [], 0, 0
    for day in sorted(enrolled):
        running += enrolled[day]
        running_randomized += allocated[day]
        days.append(EnrolmentDay(day, enrolled[day], allocated[day], running, running_randomized))
    targets = [p.enrolment_target for p in protocol.design.parts if p.id in randomized]
    return Enrolment(days, protocol.design.enrolment.count, sum(targets) if targets else None)


def screening_funnel(actor: Actor, study: Study, protocol: Protocol) -> list[tuple[str, int]]:
    """Candidates at each step, each step counted on its own (a step is reached whatever the
    order the site took them in): screened, eligible at the latest screening, consented,
    enrolled, randomized (when a part is), completed."""
    randomized = randomized_parts(protocol)
    counts: Counter[str] = Counter()
    for eligibility, consented, sequence, part, status in visible(actor, study).values_list(
            "eligibility", "consent_date", "sequence_in_part", "part", "status"):
        evaluation = Evaluation.from_json(eligibility) if eligibility else None
        counts["Screened"] += evaluation is not None
        counts["Eligible"] += evaluation is not None and evaluation.verdict == "eligible"
        counts["Consented"] += consented is not None
        counts["Enrolled"] += sequence is not None
        counts["Randomized"] += sequence is not None and part in randomized
        counts["Completed"] += status == STATUS.COMPLETED
    steps = ["Screened", "Eligible", "Consented", "Enrolled",
             *(["Randomized"] if randomized else []), "Completed"]
    return [(step, counts[step]) for step in steps]


@dataclass(frozen=True)
class VisitCompliance:
    visit: str
    """The visit's name in the schedule."""
    in_window: int
    out_of_window: int
    missed: int
    due_now: int
    not_yet_due: int

    @property
    def total(self) -> int:
        return sum(self.counts())

    def counts(self) -> tuple[int, ...]:
        return tuple(getattr(self, key) for key, _ in COMPLIANCE)


def visit_compliance(actor: Actor, study: Study, protocol: Protocol,
                     on: dt.date) -> list[VisitCompliance]:
    """Each scheduled visit of the protocol, in schedule order, with how its occurrences stand
    on ``on`` (the statuses of ``core.scheduling``). An occurrence not done of a participant no
    longer in the study (withdrawn, completed, ...) is no longer expected and is not counted,
    unless it was recorded as missed."""
    rows = in_scope(actor, ScheduledVisit.objects.filter(
        participant__study__protocol_id=study.protocol_id), "participant").values_list(
        "visit_id", "target_date", "earliest", "latest", "done_on", "missed",
        "participant__status")
    found: dict[str, Counter[str]] = {}
    for visit_id, target, earliest, latest, done_on, missed, status in rows:
        kind = _standing(target, earliest, latest, done_on, missed,
                         status == STATUS.ENROLLED, on)
        if kind is not None:
            found.setdefault(visit_id, Counter())[kind] += 1
    names = {v.id: v.name for v in protocol.schedule.visits}
    order = [v.id for v in protocol.schedule.visits if not v.unscheduled]
    order += sorted(set(found) - set(order))  # a visit an amendment removed, still on file
    return [VisitCompliance(names.get(visit_id, visit_id),
                            *(found.get(visit_id, Counter())[key] for key, _ in COMPLIANCE))
            for visit_id in order]


def _standing(target: dt.date | None, earliest: dt.date | None, latest: dt.date | None,
              done_on: dt.date | None, missed: bool, active: bool, on: dt.date) -> str | None:
    """One occurrence's column of ``COMPLIANCE``; None: not counted."""
    window = None if target is None or earliest is None or latest is None else \
        PlannedVisit("", "", 0, target, earliest, latest)
    if done_on is not None:  # a visit without a window cannot be done outside it
        return "out_of_window" if window and not window.in_window(done_on) else "in_window"
    if missed:
        return "missed"
    if not active:
        return None
    if window is None:
        return "not_yet_due"
    return {VisitStatus.UPCOMING: "not_yet_due", VisitStatus.DUE: "due_now",
            VisitStatus.OVERDUE: "due_now", VisitStatus.MISSED: "missed"}[window.status_on(on)]


def unresolved_query_ageing(actor: Actor) -> list[AgeBucket]:
    """The queries page's ageing buckets, over the unresolved queries the actor may read."""
    unresolved = [q for q in queries_in_scope(actor=actor) if q.status != "closed"]
    return query_ageing(unresolved, clock.now())


@dataclass(frozen=True)
class Headline:
    """The few numbers the dashboard shows beside its link to the charts."""

    enrolled: int
    planned: int
    missed: int
    out_of_window: int


def headline(actor: Actor, study: Study, protocol: Protocol, on: dt.date) -> Headline:
    visits = visit_compliance(actor, study, protocol, on)
    enrolled = visible(actor, study).filter(sequence_in_part__isnull=False,
                                            enrolled_at__isnull=False).count()
    return Headline(enrolled, protocol.design.enrolment.count,
                    sum(v.missed for v in visits), sum(v.out_of_window for v in visits))
