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
from trialkit.core.scheduling.checks import Check, Verdict


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
    return Verdict(f"periods of {_n(names, part.id)}", (
        _reached(protocol, part, administration, facts, on, names),
        _washout(protocol, part, period, facts, on, names)))


def _reached(protocol: Protocol, part: Part, administration: Administration,
             facts: PeriodFacts, on: date, names: Mapping[str, str]) -> Check:
    period = administration.period or ""
    current = period_on(part, facts.starts, on)
    given, target = _n(names, administration.id), _n(names, period)
    if current == period:
        return Check("crossover.period_reached", True,
                     f"The participant is in {target} (since {facts.starts[period].isoformat()}),"
                     f" the period of {given}.")
    where = f"in {_n(names, current)}" if current else "in no period yet"
    if period_started_by(part, current, period) is None:
        return Check("crossover.period_reached", False,
                     f"{given} belongs to {target}, which is over: the participant is {where}.")
    if next_period(part, current) != period:
        skipped = _n(names, next_period(part, current) or "")
        return Check("crossover.period_reached", False,
                     f"{given} belongs to {target}; the participant is {where} and must go "
                     f"through {skipped} first.")
    return _switch(protocol, part, administration, facts, on, names, where)


def _switch(protocol: Protocol, part: Part, administration: Administration, facts: PeriodFacts,
            on: date, names: Mapping[str, str], where: str) -> Check:
    """The dose would itself start its period: only at that period's first visit, once the
    visit's window has opened."""
    period = administration.period or ""
    given, target = _n(names, administration.id), _n(names, period)
    visit = first_visit(protocol, period)
    opens = switch_opens(protocol, period, facts.day_zero)
    first = period == period_ids(part)[0]
    at_switch = administration.visit == visit.id
    met = at_switch and (first or (opens is not None and on >= opens))
    when = f"; its window opens on {opens.isoformat()}" if opens and not first else ""
    if at_switch:
        sentence = (f"The participant is {where}; {given} is given at {visit.name}, the visit "
                    f"that starts {target}{when}.")
    else:
        sentence = (f"The participant is {where}; {given} belongs to {target}, which starts at "
                    f"{visit.name}{when}: record that visit first.")
    return Check("crossover.period_reached", met, sentence)


def _washout(protocol: Protocol, part: Part, period: str, facts: PeriodFacts, on: date,
             names: Mapping[str, str]) -> Check:
    ids = period_ids(part)
    position = ids.index(period)
    if position == 0:
        return Check("crossover.washout", True,
                     f"{_n(names, period)} is the first period: no washout precedes it.")
    previous = ids[position - 1]
    if part.washout_days == 0:
        return Check("crossover.washout", True,
                     f"The protocol sets no washout between {_n(names, previous)} and "
                     f"{_n(names, period)}.")
    period_of = {adm.id: adm.period for adm in protocol.design.administrations}
    doses = [d for adm, d in facts.administered.items()
             if d <= on and period_of.get(adm) == previous]
    if not doses:
        return Check("crossover.washout", True,
                     f"No dose of {_n(names, previous)} is recorded: nothing to wash out.")
    earliest = max(doses) + timedelta(days=part.washout_days)
    return Check("crossover.washout", on >= earliest,
                 f"{part.washout_days} days of washout must pass after the last dose of "
                 f"{_n(names, previous)} ({max(doses).isoformat()}): the earliest date is "
                 f"{earliest.isoformat()}.")


def _n(names: Mapping[str, str], key: str) -> str:
    return names.get(key, key)
