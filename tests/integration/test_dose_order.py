"""The Day-0 administration comes first (``dosing._check_administration``): another
administration is refused before Day 0's is recorded, and at a time before it; the refusal
names both by the protocol's names, never by their ids."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.journey_support import give, in_first_part
from trialkit.web.trial.actions.base import StateConflictError
from trialkit.web.trial.actions.dosing import do_record_administration
from trialkit.web.trial.models import Administration

pytestmark = pytest.mark.protocols("several_administrations")


def _first_and_later(trial):
    first = trial.protocol.administration(trial.protocol.design.day_zero)
    later = next(a for a in trial.administrations() if a.id != first.id)
    return first, later


def _refused_naming_both(error, first, later) -> None:
    message = error.value.message
    assert error.value.field == "given_at"
    assert first.name in message and later.name in message
    assert f"{later.id} " not in message and f"({first.id})" not in message


def test_another_administration_before_day_0_is_recorded_is_refused(team, clock):
    participant, code, day0 = in_first_part("O-01", team, clock)
    first, later = _first_and_later(team.trial)
    with pytest.raises(StateConflictError) as refused:
        give(participant, later.id, day0, team.performing(later.id), clock, kit_code=code)
    _refused_naming_both(refused, first, later)
    assert not Administration.objects.filter(participant=participant).exists()


def test_another_administration_timed_before_day_0_is_refused(team, clock):
    participant, code, day0 = in_first_part("O-02", team, clock)
    first, later = _first_and_later(team.trial)
    dose = give(participant, first.id, day0, team.performing(first.id), clock, kit_code=code)
    clock.set(day0, hour=16)
    with pytest.raises(StateConflictError) as refused:
        do_record_administration(participant, later.id, dose.given_at - dt.timedelta(hours=1),
                                 code, actor=team.performing(later.id))
    _refused_naming_both(refused, first, later)
    assert list(Administration.objects.filter(participant=participant)) == [dose]
