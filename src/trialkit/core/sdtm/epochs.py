"""EPOCH: which part of the trial a participant was in on a given day.

Every event, finding and intervention carries EPOCH (CDISC CT codelist C99079), and SE lists a
participant's elements with their dates; both come from one calendar per participant, built
from the protocol's administrations and periods and from what happened (doses given, periods
entered), never from visit or form names:

- SCREENING until the first protocol administration (to the minute where the dose time and
  the record's time are both known: a randomization that morning is still screening);
- in a parallel part, TREATMENT from the first administration through the day of the last one
  the participant is to receive, FOLLOW-UP from the day after (or from the day after the last
  dose given, once the participant's participation has ended early);
- in a crossover part, ``TREATMENT <n>`` for the n-th period from the day the participant
  entered it, and WASHOUT for the part's ``washout_days`` before the next period starts (the
  actual start when it has happened, else the start the schedule plans for it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from trialkit.core.protocol.design import Part
from trialkit.core.sdtm.common import Context

SCREENING = "SCREENING"
TREATMENT = "TREATMENT"
FOLLOW_UP = "FOLLOW-UP"
WASHOUT = "WASHOUT"
EPOCH_CODELIST = "C99079"


def period_epoch(number: int) -> str:
    """The epoch of a crossover part's ``number``-th period (1-based)."""
    return f"{TREATMENT} {number}"


@dataclass(frozen=True)
class Span:
    """One stretch of a participant's calendar: from ``start`` to the day before the next."""

    epoch: str
    start: dt.date
    period: str | None = None
    """The crossover period this treatment or washout belongs to (the one it follows)."""
    moment: dt.datetime | None = None
    """The dose time that opens the span, when known: earlier the same day is still before."""

    def began_by(self, day: dt.date, moment: dt.datetime | None) -> bool:
        if self.start != day or moment is None or self.moment is None:
            return self.start <= day
        return moment >= self.moment


@dataclass(frozen=True)
class Calendar:
    """A participant's spans in date order; before the first one is SCREENING."""

    spans: tuple[Span, ...]

    def at(self, day: dt.date, moment: dt.datetime | None = None) -> Span | None:
        found = None
        for span in self.spans:
            if span.began_by(day, moment):
                found = span
        return found

    def epoch(self, day: dt.date, moment: dt.datetime | None = None) -> str:
        span = self.at(day, moment)
        return SCREENING if span is None else span.epoch


def epoch(context: Context, participant: int, day: dt.date | dt.datetime | None) -> str:
    """EPOCH of ``participant`` on ``day`` ('' for no day)."""
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        moment = day.astimezone(dt.UTC)
        return calendar(context, participant).epoch(moment.date(), moment)
    return calendar(context, participant).epoch(day)


def calendar(context: Context, participant: int) -> Calendar:
    """The participant's calendar, built once per context (the context is immutable)."""
    cache: dict[int, Calendar] = vars(context).setdefault("_sdtm_calendars", {})
    if participant not in cache:
        cache[participant] = _build(context, participant)
    return cache[participant]


def doses_given(context: Context, participant: int) -> dict[str, dt.date]:
    """Administration id → the first day it was given to the participant (dose times and the
    analysis rows' administrations agree; either may be the only one a test fills)."""
    given: dict[str, dt.date] = {}
    days = [(d.administration, d.given_at.astimezone(dt.UTC).date())
            for d in context.rows.doses if d.participant == participant]
    days += [(a.administration, a.given_on) for a in context.rows.trial.administrations
             if a.participant == participant]
    for administration, day in days:
        if administration not in given or day < given[administration]:
            given[administration] = day
    return given


def part_of(context: Context, participant: int) -> Part | None:
    row = next((p for p in context.rows.trial.participants if p.key == participant), None)
    if row is None or not row.part:
        return None
    return next((p for p in context.protocol.design.parts if p.id == row.part), None)


def planned_administrations(context: Context, participant: int) -> tuple[str, ...]:
    """The administrations (outside crossover periods) the participant is to receive: all of
    them, less those their arm receives nothing at (``procedure: none``) when the arm is known."""
    arm = ""
    allocations = context.rows.trial.allocations
    if allocations is not None and participant in allocations:
        arm = allocations[participant].arm
    return tuple(a.id for a in context.protocol.design.administrations if a.period is None
                 and not (arm and arm in a.by_arm and a.by_arm[arm].procedure == "none"))


def _build(context: Context, participant: int) -> Calendar:
    given = doses_given(context, participant)
    if not given:
        return Calendar(())
    part = part_of(context, participant)
    if part is not None and part.is_crossover:
        spans = _crossover_spans(context, participant, part, given)
    else:
        spans = _parallel_spans(context, participant, given)
    times = sorted(d.given_at.astimezone(dt.UTC) for d in context.rows.doses
                   if d.participant == participant)
    return Calendar(tuple(replace(s, moment=next((t for t in times if t.date() == s.start), None))
                          for s in spans))


def _parallel_spans(context: Context, participant: int,
                    given: dict[str, dt.date]) -> tuple[Span, ...]:
    first, last = min(given.values()), max(given.values())
    spans = [Span(TREATMENT, first)]
    planned = planned_administrations(context, participant)
    ended = any(p.key == participant and p.ended_on is not None
                for p in context.rows.trial.participants)
    if all(a in given for a in planned) or ended:
        spans.append(Span(FOLLOW_UP, last + dt.timedelta(days=1)))
    return tuple(spans)


def _crossover_spans(context: Context, participant: int, part: Part,
                     given: dict[str, dt.date]) -> tuple[Span, ...]:
    starts = _period_starts(context, participant, part, given)
    spans: list[Span] = []
    for number, period in enumerate(part.periods, start=1):
        start = starts.get(period.id)
        if start is None:
            break
        spans.append(Span(period_epoch(number), start, period.id))
        if number < len(part.periods) and part.washout_days > 0:
            following = part.periods[number].id
            next_start = starts.get(following) or _planned_next_start(context, start, period.id,
                                                                      following)
            washout = (next_start - dt.timedelta(days=part.washout_days)
                       if next_start is not None else None)
            if washout is not None and washout > start:
                spans.append(Span(WASHOUT, washout, period.id))
    return tuple(spans)


def _period_starts(context: Context, participant: int, part: Part,
                   given: dict[str, dt.date]) -> dict[str, dt.date]:
    """Each period's start: the day the participant entered it, else its first dose."""
    entered = dict(context.rows.trial.period_starts.get(participant, {}))
    for period in part.periods:
        doses = [day for adm, day in given.items()
                 if context.protocol.administration(adm).period == period.id]
        if period.id not in entered and doses:
            entered[period.id] = min(doses)
    return entered


def _planned_next_start(context: Context, start: dt.date, period: str,
                        following: str) -> dt.date | None:
    """Where the next period starts by the schedule: the gap between the periods' first visits."""
    first: dict[str, int] = {}
    for visit in context.protocol.schedule.visits:
        if visit.period is not None and visit.day is not None:
            first[visit.period] = min(visit.day, first.get(visit.period, visit.day))
    if period not in first or following not in first:
        return None
    return start + dt.timedelta(days=first[following] - first[period])
