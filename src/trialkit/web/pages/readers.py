"""What the dashboard and the participant list show, read in a fixed number of queries.

Nothing here is blinded: arms are read only through ``access.access_arms``, for roles that see
allocation. Gates are evaluated by ``trialkit.core.scheduling`` on facts gathered in bulk
(the per-participant helpers of ``gate_facts`` would cost queries per participant).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy

from trialkit.core.protocol import Protocol
from trialkit.core.scheduling import (
    Verdict,
    combine,
    may_enrol,
    may_randomize,
    names_of,
    pause_state,
    sequential_enrolment,
)
from trialkit.web.pages.vocabulary import participant_status
from trialkit.web.trial import access
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.forms import readable
from trialkit.web.trial.actions.participants import participant_checks, screened_under
from trialkit.web.trial.gate_facts import (
    committee_decisions,
    dosing_by_part,
    enrolled_in,
    periods_of,
    today,
)
from trialkit.web.trial.lookups import visible_participants
from trialkit.web.trial.models import (
    Deviation,
    Participant,
    Query,
    ScheduledVisit,
    Study,
)
from trialkit.web.trial.queries_schedule import status_of
from trialkit.web.trial.scope import in_scope
from trialkit.web.trial.study import VersionView, current_study, protocol_to_read, versions

PAGE_SIZE = 50
FUNNEL = ((gettext_lazy("Registered"), "registered"), (gettext_lazy("Screened"), "screened"),
          (gettext_lazy("Consented"), "consented"), (gettext_lazy("Enrolled"), "enrolled"),
          (gettext_lazy("Screen failures"), "screen_failed"))


@dataclass(frozen=True)
class PartRow:
    id: str
    name: str
    target: int
    enrolled: int
    by_status: dict[str, int]
    by_arm: list[tuple[str, int]] | None
    """Arm label → count; None for a role that may not see arms."""


@dataclass(frozen=True)
class DueVisit:
    participant_id: int
    screening_number: str
    visit_id: str
    target_date: dt.date | None
    latest: dt.date | None
    status: str


@dataclass(frozen=True)
class ParticipantSummary:
    """A participant as the participant list and ``GET /api/participants`` show them: never
    the arm."""

    id: int
    screening_number: str
    site: str
    status: str
    part: str
    sequence_in_part: int | None
    planned_day0: dt.date | None
    enrolled_at: dt.datetime | None
    consent_date: dt.date | None
    consent_form_version: str
    verdict: str | None
    """The latest eligibility verdict (eligible / ineligible / incomplete), if screened."""
    screened_under: VersionView | None
    """The protocol version the latest screening was made under, if screened; if it is no
    longer current, the participant must be screened again before enrolment."""
    ended_on: dt.date | None
    end_reason: str
    locked: bool
    period: str
    """The crossover period the participant is in (blank: a parallel part, or before the first
    period starts). Not blinded: every sequence switches at the same planned visit."""

    @property
    def status_label(self) -> str:
        return participant_status(self.status)


@dataclass(frozen=True)
class ListedParticipant:
    """A line of the participant list page."""

    participant: ParticipantSummary
    part_name: str
    next_visit: ScheduledVisit | None


@dataclass(frozen=True)
class PeriodRow:
    period: str
    name: str
    starts_at_visit: str
    """The visit that starts the period (its first visit)."""
    started_on: dt.date | None
    """The day the participant entered it (None: not yet)."""


@dataclass(frozen=True)
class ParticipantDetail(ParticipantSummary):
    """One participant: the summary, the randomization number and kit code (blinded-safe: the
    kit's code, never its content), and a crossover participant's periods."""

    randomization_number: str | None
    kit_code: str | None
    periods: list[PeriodRow]
    """A crossover participant's periods in order, with the day each started (never the arm);
    empty in a parallel part."""


def participant_summary(p: Participant,
                        known: Mapping[str, VersionView] | None = None) -> ParticipantSummary:
    """``known``: the protocol versions (``study.versions()``), read once for a listing."""
    evaluation = p.evaluation()
    return ParticipantSummary(
        p.pk, p.screening_number, p.site.code, p.status, p.part, p.sequence_in_part,
        p.planned_day0, p.enrolled_at, p.consent_date, p.consent_form_version,
        evaluation.verdict if evaluation else None, screened_under(p, known), p.ended_on,
        p.end_reason, p.locked_at is not None, p.period)


def participant_summaries(actor: Actor, *, status: str | None = None,
                          site: str | None = None) -> list[ParticipantSummary]:
    """Participants at the actor's sites, optionally by status and site code, by id."""
    rows = visible_participants(actor)
    if status is not None:
        rows = rows.filter(status=status)
    if site is not None:
        rows = rows.filter(site__code=site)
    known = versions()
    return [participant_summary(p, known) for p in rows]


def participant_detail(p: Participant, actor: Actor) -> ParticipantDetail:
    """``p`` found through ``lookups.participant_for``; the number and kit come from
    ``access`` (a blinded role sees the kit's code, never its content)."""
    number, kit = access.randomization_number_and_kit(p, actor) or (None, None)
    periods = periods_of(p, actor.protocol())
    return ParticipantDetail(
        **vars(participant_summary(p)), randomization_number=number, kit_code=kit,
        periods=[] if periods is None else [
            PeriodRow(line.period, line.name, line.starts_at, line.started_on)
            for line in periods.lines])


def participant_listing(actor: Actor, study: Study, protocol: Protocol, *, status: str,
                        page: str) -> tuple[Page[Participant], list[ListedParticipant]]:
    """One page of the participants at the actor's sites by screening number, of one status
    (anything but a status lists every one), with each one's next visit."""
    rows = visible(actor, study).select_related("site").order_by("screening_number")
    if status in Participant.Status.values:
        rows = rows.filter(status=status)
    listing = Paginator(rows, PAGE_SIZE).get_page(page)
    visits = next_visits([p.pk for p in listing])
    parts = {p.id: p.name for p in protocol.design.parts}
    known = versions()
    return listing, [ListedParticipant(participant_summary(p, known), parts.get(p.part, ""),
                                       visits.get(p.pk)) for p in listing]


def in_screening(actor: Actor, study: Study) -> list[ParticipantSummary]:
    """Candidates at the actor's sites still in screening or consented, by screening number."""
    rows = visible(actor, study).filter(status__in=[
        Participant.Status.SCREENING, Participant.Status.CONSENTED]).select_related(
        "site").order_by("screening_number")
    known = versions()
    return [participant_summary(p, known) for p in rows]


def visible(actor: Actor, study: Study) -> QuerySet[Participant]:
    return in_scope(actor, Participant.objects.filter(study__protocol_id=study.protocol_id))


def enrolment_by_part(actor: Actor, study: Study, protocol: Protocol) -> list[PartRow]:
    rows = visible(actor, study).filter(sequence_in_part__isnull=False).values(
        "part", "status").annotate(n=Count("pk"))
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts[row["part"]][row["status"]] += row["n"]
    arms = _arm_counts(actor)
    return [PartRow(part.id, part.name, part.enrolment_target, sum(counts[part.id].values()),
                    dict(counts[part.id]),
                    None if arms is None else [(protocol.arm(a).label, arms[(part.id, a)])
                                               for a in part.arms])
            for part in protocol.design.parts]


def _arm_counts(actor: Actor) -> Counter[tuple[str, str]] | None:
    """Live counts by arm, only for roles that see every allocation anyway: for a committee
    that sees tables by arm only, a count moving by one at a randomization would name the arm
    (it reads frozen data cuts instead)."""
    if not access.may_read_arms(actor):
        return None
    arms = access.access_arms(actor)
    parts = dict(Participant.objects.filter(pk__in=arms).values_list("pk", "part"))
    return Counter((parts[pid], arm) for pid, arm in arms.items())


def funnel(actor: Actor, study: Study) -> list[tuple[str, int]]:
    participants = visible(actor, study)
    counts = participants.aggregate(
        registered=Count("pk"), screened=Count("pk", filter=Q(eligibility__isnull=False)),
        consented=Count("pk", filter=Q(consent_date__isnull=False)),
        enrolled=Count("pk", filter=Q(sequence_in_part__isnull=False)),
        screen_failed=Count("pk", filter=Q(status=Participant.Status.SCREEN_FAILED)))
    return [(label, counts[key]) for label, key in FUNNEL]


def gate_status(study: Study, protocol: Protocol) -> list[Verdict]:
    """Each sequential rule for the next participant, each committee gate, each pause."""
    from django.utils.translation import gettext as _

    on, decisions = today(), committee_decisions(study, protocol)
    dosing = dosing_by_part(study, protocol)
    verdicts = []
    for rule in protocol.gates.sequential_enrolment:
        done = [d for d in dosing.get(rule.part, [])
                if rule.gated_administration in d.administered]
        if len(done) < protocol.part(rule.part).enrolment_target:
            names = names_of(protocol)
            verdicts.append(Verdict(
                _("Sequential enrolment in %(part)s: participant %(number)s may receive "
                  "the %(administration)s") % {"part": names[rule.part], "number": len(done) + 1,
                                            "administration": names[rule.gated_administration]},
                sequential_enrolment(rule, done, on, names).checks))
    opened = {gate.opens_part for gate in protocol.gates.committee}
    for part in sorted(opened):
        verdicts.append(may_randomize(protocol, part, dosing, decisions, on))
    verdicts.extend(pause_state(gate, decisions, on) for gate in protocol.gates.committee)
    return verdicts


def due_visits(actor: Actor, study: Study, *, days: int = 14, limit: int = 30) -> list[DueVisit]:
    """Visits not done whose window opens within ``days`` or has passed, earliest first."""
    on = today()
    visits = ScheduledVisit.objects.filter(
        participant__in=visible(actor, study), done_on__isnull=True, missed=False,
        earliest__lte=on + dt.timedelta(days=days),
        participant__status=Participant.Status.ENROLLED).select_related(
        "participant").order_by("target_date", "pk")[:limit]
    return [DueVisit(v.participant_id, v.participant.screening_number, v.visit_id,
                     v.target_date, v.latest, status_of(v, on)) for v in visits]


def query_counts(actor: Actor, study: Study) -> dict[str, int]:
    rows = readable(actor, Query.objects.filter(record__participant__in=visible(actor, study)),
                    "record").values("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(Query.Status.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def recent_deviations(actor: Actor, study: Study, limit: int = 10) -> tuple[int, list[Deviation]]:
    deviations = Deviation.objects.filter(participant__in=visible(actor, study))
    return deviations.count(), list(deviations.select_related("participant").order_by(
        "-occurred_on", "-pk")[:limit])


def next_visits(participant_ids: list[int]) -> dict[int, ScheduledVisit]:
    """Each participant's next visit not yet done (one query for a page of participants)."""
    found: dict[int, ScheduledVisit] = {}
    for visit in ScheduledVisit.objects.filter(
            participant_id__in=participant_ids, done_on__isnull=True, missed=False,
            target_date__isnull=False).order_by("participant_id", "target_date"):
        found.setdefault(visit.participant_id, visit)
    return found


def enrolment_checks(participant: Participant, part_id: str, actor: Actor) -> Verdict:
    """Every check before enrolling into (or randomizing in) a part, shown before the button:
    the participant's own state, the part's enrolment gates and, in a randomized part, the
    committee's gates on randomization (their sentences name the parts and administrations in
    the reader's words)."""
    study = current_study()
    protocol = protocol_to_read(study)
    decisions = committee_decisions(study, protocol)
    verdicts = [participant_checks(participant, study),
                may_enrol(protocol, part_id, enrolled_in(study, part_id).count(), decisions,
                          today())]
    if protocol.part(part_id).allocation == "RANDOMIZED":
        verdicts.append(may_randomize(protocol, part_id, dosing_by_part(study, protocol),
                                      decisions, today()))
    return combine(f"enrol in {part_id}", verdicts)
