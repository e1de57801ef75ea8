"""Treatment periods of a crossover part: which period a participant is in on a date, which
visit or dose moves them on, and the two gates on a period's administration.

A participant of a crossover part goes through the part's periods in order. A period *starts*
when a visit of that period is recorded (normally its first visit, the planned switch visit)
or when an administration of that period is given; before the first period starts the
participant is in no period. The schedule is one schedule, planned from day 0: periods only
group its visits, they never re-plan them.

Gates on an administration of period P given on date D:

- **Period reached** (``crossover.period_reached``): the participant is in P on D, or the dose
  itself is the switch: P is the period after the current one (the first period when none has
  started), the administration is given at the visit that starts P, and D is not before that
  visit's window opens (planned from day 0). A dose of a period not yet reached, of a period
  already over, or skipping a period is refused.
- **Washout** (``crossover.washout``): D is at least ``washout_days`` after the last dose of the
  period before P. With no washout, or no dose in the previous period, there is nothing to
  wait for.

Facts dated after D are unknown on D, so a past verdict can be replayed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from trialkit.core.protocol.design import Administration, Part
from trialkit.core.protocol.model import Protocol
from trialkit.core.protocol.schedule import Visit
from trialkit.core.scheduling.checks import (
    Check,
    Verdict,
    Wording,
    check_that,
    gettext_noop,
    named,
    worded,
)


@dataclass(frozen=True)
class PeriodFacts:
    """What is known of one participant of a crossover part."""

    starts: Mapping[str, date] = field(default_factory=dict)
    """Period id → the date the participant started it."""
    administered: Mapping[str, date] = field(default_factory=dict)
    """Administration id → the date it was given."""
    day_zero: date | None = None
    """The date the design's day-0 administration was given (None: not yet)."""


def period_ids(part: Part) -> tuple[str, ...]:
    return tuple(period.id for period in part.periods)


def period_on(part: Part, starts: Mapping[str, date], on: date) -> str | None:
    """The participant's period on ``on``: the latest period (in period order) started on or
    before that date; None before the first period starts or for a parallel part."""
    unknown = sorted(set(starts) - set(period_ids(part)))
    if unknown:
        raise ValueError(f"starts: unknown period(s) {', '.join(unknown)} of part '{part.id}'")
    current = None
    for period in period_ids(part):
        started = starts.get(period)
        if started is not None and started <= on:
            current = period
    return current


def next_period(part: Part, current: str | None) -> str | None:
    """The period after ``current`` (the first period when ``current`` is None)."""
    ids = period_ids(part)
    if current is None:
        return ids[0] if ids else None
    position = ids.index(current) + 1
    return ids[position] if position < len(ids) else None


def first_visit(protocol: Protocol, period_id: str) -> Visit:
    """The visit that starts a period: its scheduled visit with the lowest day (schedule
    order breaks a tie)."""
    visits = [v for v in protocol.schedule.visits if v.period == period_id and v.day is not None]
    if not visits:
        raise ValueError(f"period '{period_id}' has no scheduled visit")
    return min(visits, key=lambda v: v.day if v.day is not None else 0)


def period_started_by(part: Part, current: str | None, period_id: str | None) -> str | None:
    """The period a visit or dose of ``period_id`` moves the participant into, if any: one of
    this part's periods that comes after ``current``. A visit or dose of the current or an
    earlier period (a late entry) moves nobody."""
    ids = period_ids(part)
    if period_id is None or period_id not in ids:
        return None
    if current is not None and ids.index(period_id) <= ids.index(current):
        return None
    return period_id


def switch_opens(protocol: Protocol, period_id: str, day_zero: date | None) -> date | None:
    """The first day a period's first visit may take place: its window opening, planned from
    day 0 (None while day 0 is unknown)."""
    visit = first_visit(protocol, period_id)
    if day_zero is None or visit.day is None:
        return None
    return day_zero + timedelta(days=visit.day - visit.window.before)


def period_checks(protocol: Protocol, part: Part, administration: Administration,
                  facts: PeriodFacts, on: date,
                  names: Mapping[str, str] | None = None) -> Verdict:
    """May this participant of crossover ``part`` receive ``administration`` on ``on``?"""
    names = names or {}
    period = administration.period
    if not part.is_crossover or period is None or period not in period_ids(part):
        raise ValueError(f"administration '{administration.id}' is not given in a period of "
                         f"part '{part.id}'")
    return named(worded(gettext_noop("periods of %(part)s"), part=_n(names, part.id)), (
        _reached(protocol, part, administration, facts, on, names),
        _washout(protocol, part, period, facts, on, names)))


def _reached(protocol: Protocol, part: Part, administration: Administration,
             facts: PeriodFacts, on: date, names: Mapping[str, str]) -> Check:
    period = administration.period or ""
    current = period_on(part, facts.starts, on)
    given, target = _n(names, administration.id), _n(names, period)
    if current == period:
        return check_that("crossover.period_reached", True, gettext_noop(
            "The participant is in %(period)s (since %(date)s), the period of the "
            "%(administration)s."), period=target, date=facts.starts[period],
            administration=given)
    where = (worded(gettext_noop("in %(period)s"), period=_n(names, current)) if current
             else worded(gettext_noop("in no period yet")))
    if period_started_by(part, current, period) is None:
        return check_that("crossover.period_reached", False, gettext_noop(
            "The %(administration)s belongs to %(period)s, which is over: the participant is "
            "%(where)s."), administration=given, period=target, where=where)
    if next_period(part, current) != period:
        return check_that("crossover.period_reached", False, gettext_noop(
            "The %(administration)s belongs to %(period)s; the participant is %(where)s and "
            "must go through %(skipped)s first."), administration=given, period=target,
            where=where, skipped=_n(names, next_period(part, current) or ""))
    return _switch(protocol, part, administration, facts, on, names, where)


def _switch(protocol: Protocol, part: Part, administration: Administration, facts: PeriodFacts,
            on: date, names: Mapping[str, str], where: Wording) -> Check:
    """The dose would itself start its period: only at that period's first visit, once the
    visit's window has opened."""
    period = administration.period or ""
    visit = first_visit(protocol, period)
    opens = switch_opens(protocol, period, facts.day_zero)
    first = period == period_ids(part)[0]
    at_switch = administration.visit == visit.id
    met = at_switch and (first or (opens is not None and on >= opens))
    when = (worded(gettext_noop("; its window opens on %(date)s"), date=opens)
            if opens and not first else worded(""))
    values = {"where": where, "administration": _n(names, administration.id),
              "period": _n(names, period), "visit": visit.name, "when": when}
    if at_switch:
        return check_that("crossover.period_reached", met, gettext_noop(
            "The participant is %(where)s; the %(administration)s is given at %(visit)s, the "
            "visit that starts %(period)s%(when)s."), **values)
    return check_that("crossover.period_reached", met, gettext_noop(
        "The participant is %(where)s; the %(administration)s belongs to %(period)s, which "
        "starts at %(visit)s%(when)s: record that visit first."), **values)


def _washout(protocol: Protocol, part: Part, period: str, facts: PeriodFacts, on: date,
             names: Mapping[str, str]) -> Check:
    ids = period_ids(part)
    position = ids.index(period)
    if position == 0:
        return check_that("crossover.washout", True, gettext_noop(
            "%(period)s is the first period: no washout precedes it."), period=_n(names, period))
    previous = ids[position - 1]
    if part.washout_days == 0:
        return check_that("crossover.washout", True, gettext_noop(
            "The protocol sets no washout between %(previous)s and %(period)s."),
            previous=_n(names, previous), period=_n(names, period))
    period_of = {adm.id: adm.period for adm in protocol.design.administrations}
    doses = [d for adm, d in facts.administered.items()
             if d <= on and period_of.get(adm) == previous]
    if not doses:
        return check_that("crossover.washout", True, gettext_noop(
            "No dose of %(previous)s is recorded: nothing to wash out."),
            previous=_n(names, previous))
    earliest = max(doses) + timedelta(days=part.washout_days)
    return check_that("crossover.washout", on >= earliest, gettext_noop(
        "%(days)s days of washout must pass after the last dose of %(previous)s (%(last)s): the "
        "earliest date is %(earliest)s."), days=part.washout_days, previous=_n(names, previous),
        last=max(doses), earliest=earliest)


def _n(names: Mapping[str, str], key: str) -> str:
    return names.get(key, key)
