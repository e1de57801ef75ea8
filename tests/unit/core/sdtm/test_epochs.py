"""EPOCH from the protocol's administrations and periods and what happened to a participant."""

from __future__ import annotations

import datetime as dt

import pytest

from trialkit.core.adam.rows import Allocation, ParticipantRow, TrialRows
from trialkit.core.exchange import DoseRow, ExchangeRows
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.design import Part
from trialkit.core.sdtm.common import Context
from trialkit.core.sdtm.epochs import (
    FOLLOW_UP,
    SCREENING,
    TREATMENT,
    WASHOUT,
    calendar,
    epoch,
    period_epoch,
)

pytestmark = pytest.mark.protocols()
START = dt.date(2025, 3, 3)


def _day(protocol: Protocol, administration: str) -> dt.date:
    visit = protocol.visit(protocol.administration(administration).visit)
    assert visit.day is not None
    return START + dt.timedelta(days=visit.day)


def _administrations(protocol: Protocol, part: Part) -> list[str]:
    return [a.id for a in protocol.design.administrations
            if part.is_crossover or a.period is None]


def _context(protocol: Protocol, part: Part, given: list[str], *, ended: dt.date | None = None,
             period_starts: dict[str, dt.date] | None = None,
             allocations: dict[int, Allocation] | None = None) -> Context:
    person = ParticipantRow(1, "S001", "SITE", "withdrawn" if ended else "enrolled", part.id,
                            START - dt.timedelta(days=60), START, ended)
    doses = tuple(DoseRow(1, a, dt.datetime.combine(_day(protocol, a), dt.time(9), dt.UTC))
                  for a in given)
    trial = TrialRows("STUDY", START + dt.timedelta(days=900), (person,),
                      period_starts={1: period_starts or {}}, allocations=allocations)
    return Context(protocol, ExchangeRows(trial, doses=doses))


def test_a_participant_without_a_dose_is_in_screening(trial) -> None:
    part = trial.protocol.design.parts[0]
    context = _context(trial.protocol, part, [])
    assert epoch(context, 1, START + dt.timedelta(days=400)) == SCREENING
    assert epoch(context, 1, None) == ""


def test_the_epochs_follow_the_doses_given(trial) -> None:
    protocol = trial.protocol
    part = protocol.design.parts[0]
    given = _administrations(protocol, part)
    days = sorted(_day(protocol, a) for a in given)
    context = _context(protocol, part, given)
    one_day = dt.timedelta(days=1)
    assert epoch(context, 1, days[0] - one_day) == SCREENING
    if part.is_crossover:
        assert epoch(context, 1, days[0]) == period_epoch(1)
        assert epoch(context, 1, days[-1] - one_day) == period_epoch(len(part.periods) - 1)
        assert epoch(context, 1, days[-1] + one_day * 30) == period_epoch(len(part.periods))
    else:
        assert epoch(context, 1, days[0]) == TREATMENT
        assert epoch(context, 1, days[-1]) == TREATMENT
        assert epoch(context, 1, days[-1] + one_day) == FOLLOW_UP


def test_a_time_on_the_first_dose_day_counts_from_the_dose_time(trial) -> None:
    protocol = trial.protocol
    part = protocol.design.parts[0]
    given = _administrations(protocol, part)
    first = min(_day(protocol, a) for a in given)
    context = _context(protocol, part, given)  # doses at 09:00 UTC
    morning = dt.datetime.combine(first, dt.time(8, 59), dt.UTC)
    assert epoch(context, 1, morning) == SCREENING
    assert epoch(context, 1, morning + dt.timedelta(minutes=1)).startswith(TREATMENT)
    assert epoch(context, 1, first).startswith(TREATMENT)  # a date alone: the dose day
    evening_elsewhere = dt.datetime.combine(first, dt.time(1, 0),
                                            dt.timezone(dt.timedelta(hours=-9)))
    assert epoch(context, 1, evening_elsewhere).startswith(TREATMENT)  # 10:00 UTC


@pytest.mark.protocols("several_administrations", "parallel_part")
def test_treatment_lasts_until_the_last_planned_dose_unless_participation_ends(trial) -> None:
    """(A crossover part's epochs follow its periods: tested below.)"""
    protocol = trial.protocol
    part = next(p for p in protocol.design.parts if not p.is_crossover)
    given = _administrations(protocol, part)
    first_only = sorted(given, key=lambda a: _day(protocol, a))[:1]
    after = _day(protocol, first_only[0]) + dt.timedelta(days=3)
    assert epoch(_context(protocol, part, first_only), 1, after) == TREATMENT
    ended = _context(protocol, part, first_only, ended=after)
    assert epoch(ended, 1, after) == FOLLOW_UP


def test_an_arm_that_receives_nothing_at_an_administration_does_not_wait_for_it(
        reference_protocol: Protocol) -> None:
    protocol = reference_protocol
    part = next(p for p in protocol.design.parts if not p.is_crossover)
    arm = part.arms[0]
    last = max(protocol.design.administrations, key=lambda a: _day(protocol, a.id))
    nothing = {**last.by_arm, arm: last.by_arm[arm].model_copy(update={"procedure": "none"})}
    changed = last.model_copy(update={"by_arm": nothing})
    design = protocol.design.model_copy(update={"administrations": tuple(
        changed if a.id == last.id else a for a in protocol.design.administrations)})
    protocol = protocol.model_copy(update={"design": design})
    given = [a.id for a in protocol.design.administrations if a.id != last.id]
    first_day = max(_day(protocol, a) for a in given)
    blinded = _context(protocol, part, given)
    unblinded = _context(protocol, part, given, allocations={1: Allocation(arm=arm)})
    assert epoch(blinded, 1, first_day + dt.timedelta(days=1)) == TREATMENT
    assert epoch(unblinded, 1, first_day + dt.timedelta(days=1)) == FOLLOW_UP


@pytest.mark.protocols("crossover")
def test_a_crossover_washout_precedes_the_next_period(trial) -> None:
    protocol = trial.protocol
    part = next(p for p in protocol.design.parts if p.is_crossover)
    washed = part.model_copy(update={"washout_days": 14})
    design = protocol.design.model_copy(update={"parts": tuple(
        washed if p.id == part.id else p for p in protocol.design.parts)})
    protocol = protocol.model_copy(update={"design": design})
    given = sorted(_administrations(protocol, washed), key=lambda a: _day(protocol, a))
    second = _day(protocol, given[1])
    entered = {protocol.administration(a).period or "": _day(protocol, a) for a in given}
    actual = _context(protocol, washed, given, period_starts=entered)
    planned = _context(protocol, washed, given[:1])  # the second period has not begun
    for context in (actual, planned):
        assert epoch(context, 1, second - dt.timedelta(days=15)) == period_epoch(1)
        assert epoch(context, 1, second - dt.timedelta(days=14)) == WASHOUT
        assert epoch(context, 1, second - dt.timedelta(days=1)) == WASHOUT
    assert epoch(actual, 1, second) == period_epoch(2)
    assert epoch(planned, 1, second) == WASHOUT


def test_the_calendar_is_built_once_per_context(reference_protocol: Protocol) -> None:
    part = reference_protocol.design.parts[0]
    context = _context(reference_protocol, part, _administrations(reference_protocol, part))
    assert calendar(context, 1) is calendar(context, 1)
