"""Visit target dates, windows, statuses on a date, and out-of-window deviations.

Study day ``d`` of a participant is the calendar date ``day_zero + d days``, where
``day_zero`` is the date the participant actually received the protocol's ``design.day_zero``
administration (for the reference protocol, the IV dose). Every scheduled visit is anchored
to that date, so a late Day-28 visit does not shift the later visits.

Statuses on a date ``on`` (window = ``[earliest, latest]``, both inclusive):

- ``done``: completed on or before ``on`` (whether in window or not; an out-of-window
  completion is ``done`` *and* produces a :class:`ProtocolDeviation`);
- ``upcoming``: not done and ``on < earliest`` (the window has not opened);
- ``due``: not done and ``earliest <= on <= target``;
- ``overdue``: not done and ``target < on <= latest`` (past target, window still open);
- ``missed``: not done and ``on > latest`` (the window has closed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from trialkit.core.protocol.model import Protocol
from trialkit.core.protocol.schedule import Visit


class VisitStatus(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    MISSED = "missed"
    DONE = "done"


@dataclass(frozen=True)
class PlannedVisit:
    """A scheduled visit of one participant: target date and inclusive window."""

    visit_id: str
    name: str
    day: int
    target: date
    earliest: date
    latest: date

    def in_window(self, when: date) -> bool:
        return self.earliest <= when <= self.latest

    def status_on(self, on: date, completed_on: date | None = None) -> VisitStatus:
        """Status on date ``on``; a completion dated after ``on`` is not yet known then."""
        if completed_on is not None and completed_on <= on:
            return VisitStatus.DONE
        if on < self.earliest:
            return VisitStatus.UPCOMING
        if on <= self.target:
            return VisitStatus.DUE
        if on <= self.latest:
            return VisitStatus.OVERDUE
        return VisitStatus.MISSED


@dataclass(frozen=True)
class ProtocolDeviation:
    """A visit completed outside its window: a record for the deviation log."""

    visit_id: str
    kind: str
    completed_on: date
    earliest: date
    latest: date
    days_outside: int
    """Days before ``earliest`` (negative) or after ``latest`` (positive)."""
    description: str


def plan_visit(visit: Visit, day_zero: date) -> PlannedVisit:
    """Target and window of one scheduled visit; an unscheduled visit has none."""
    if visit.day is None:
        raise ValueError(f"visit '{visit.id}' is unscheduled: it has no target date")
    target = day_zero + timedelta(days=visit.day)
    return PlannedVisit(
        visit_id=visit.id, name=visit.name, day=visit.day, target=target,
        earliest=target - timedelta(days=visit.window.before),
        latest=target + timedelta(days=visit.window.after),
    )


def plan_visits(protocol: Protocol, day_zero: date) -> tuple[PlannedVisit, ...]:
    """Every scheduled visit of the protocol, in schedule order, for this day-0 date."""
    return tuple(plan_visit(v, day_zero) for v in protocol.schedule.visits if not v.unscheduled)


def statuses_on(planned: tuple[PlannedVisit, ...], on: date,
                completed: Mapping[str, date]) -> dict[str, VisitStatus]:
    """Status of each planned visit on ``on``; ``completed`` maps visit id → completion date."""
    known = {p.visit_id for p in planned}
    unknown = sorted(set(completed) - known)
    if unknown:
        raise ValueError(f"completed: unknown visit id(s) {', '.join(unknown)}")
    return {p.visit_id: p.status_on(on, completed.get(p.visit_id)) for p in planned}


def window_deviation(planned: PlannedVisit, completed_on: date) -> ProtocolDeviation | None:
    """The deviation record for an out-of-window completion, or ``None`` when in window."""
    if planned.in_window(completed_on):
        return None
    if completed_on < planned.earliest:
        days = -(planned.earliest - completed_on).days
        side = f"{-days} day(s) before the window opened on {planned.earliest.isoformat()}"
    else:
        days = (completed_on - planned.latest).days
        side = f"{days} day(s) after the window closed on {planned.latest.isoformat()}"
    return ProtocolDeviation(
        visit_id=planned.visit_id, kind="visit_out_of_window", completed_on=completed_on,
        earliest=planned.earliest, latest=planned.latest, days_outside=days,
        # In words for the pages and listings; the visit's id is the record's visit_id.
        description=f"{planned.name} was completed on {completed_on.isoformat()}, {side}.",
    )
