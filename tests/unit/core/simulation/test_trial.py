"""A simulated trial follows the protocol: the sequential rule as the trial's own gate
function reads it, the protocol's randomization list, visits in their windows; and it is a
function of its seed, on one worker or several."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from tests.unit.core.simulation.conftest import only, reference_raw, scenarios_of, set_value
from trialkit.core.randomization.lists import generate_list
from trialkit.core.scheduling.gates import ParticipantDosing, sequential_enrolment
from trialkit.core.simulation.allocation import allocate
from trialkit.core.simulation.runner import run_local
from trialkit.core.simulation.setup import prepare
from trialkit.core.simulation.trial import randomized_data, run_part, simulate_trial

START = dt.date(2023, 9, 8)


@pytest.fixture(scope="module")
def setup(protocol, reference_pool):
    return prepare(protocol, scenarios_of(only(reference_raw(), "edss_change", "neda3"),
                                          "reference")[0], reference_pool)


def same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(
        (math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a)


def test_a_simulated_trial_is_a_function_of_its_seed(setup):
    first = simulate_trial(setup, np.random.default_rng(3))
    assert same(first, simulate_trial(setup, np.random.default_rng(3)))
    assert not same(first, simulate_trial(setup, np.random.default_rng(4)))


def test_one_worker_and_two_give_identical_trials(setup):
    alone = run_local([setup, setup], seed=5, trials=6, workers=1, chunk=2)
    pooled = run_local([setup, setup], seed=5, trials=6, workers=2, chunk=4)
    assert all(same(a, b) for x, y in zip(alone, pooled, strict=True)
               for a, b in zip(x, y, strict=True))


def _on(day: float) -> dt.date:
    return START + dt.timedelta(days=math.floor(day))


def test_phase_one_doses_wait_exactly_as_the_protocol_s_sequential_rule_allows(setup):
    part = setup.plan.parts[0]
    rule = part.sequential
    held = 0
    for seed in range(20):
        run = run_part(setup, np.random.default_rng(seed), part, 0.0)
        for j in range(1, len(run.day0)):
            previous = _dosing(setup, run, j - 1)
            on = _on(run.day0[j])
            assert sequential_enrolment(rule, [previous], on).allowed, (seed, j)
            if _on(run.day0[j]) > _on(run.ready[j]):
                # The rule, not screening, set the date: a day earlier is refused.
                day_before = on - dt.timedelta(days=1)
                earlier = _dosing(setup, run, j - 1, by=day_before)
                assert not sequential_enrolment(rule, [earlier], day_before).allowed
                held += 1
    assert held > 20  # the rule did hold participants back


def _dosing(setup, run, who: int, by: dt.date | None = None) -> ParticipantDosing:
    given = {dose.id: _on(run.day0[who] + run.doses[who, d])
             for d, dose in enumerate(setup.plan.doses) if run.doses[who, d] >= 0}
    on = by or _on(run.day0[who + 1])
    mine = (run.events.who == who) & run.events.serious
    onset = [_on(run.day0[who] + x) for x in run.events.onset[mine]]
    end = [_on(run.day0[who] + x) for x in run.events.end[mine]]
    still_open = sum(1 for o, e in zip(onset, end, strict=True) if o <= on < e)
    return ParticipantDosing(f"P{who}", given, still_open)


def test_randomization_takes_the_protocol_s_list_slot_by_slot(protocol):
    strata = [(("ms_course", "RRMS"),)] * 5 + [(("ms_course", "SPMS"),)] * 3
    arms = allocate(protocol, strata, np.random.default_rng(8))
    rand_list = generate_list(protocol, np.random.default_rng(8))
    for level in ("RRMS", "SPMS"):
        key = (("ms_course", level),)
        ours = [arm for stratum, arm in zip(strata, arms, strict=True) if stratum == key]
        assert ours == [slot.arm for slot in rand_list.slots_of(key)][:len(ours)]


def test_visits_fall_in_their_windows_and_none_after_the_participant_leaves(setup):
    part = setup.plan.randomized_part
    rng = np.random.default_rng(12)
    run = run_part(setup, rng, part, 0.0)
    data = randomized_data(setup, rng, run)
    for visit in setup.plan.visits:
        days = data.visit_day[visit.id]
        seen = ~np.isnan(days)
        assert np.all(days[seen] >= visit.day - visit.before)
        assert np.all(days[seen] <= visit.day + visit.after)
        assert np.all(days[seen] < run.leaves[seen])


def test_a_gate_that_stops_ends_the_trial_before_the_randomized_part(protocol, reference_pool):
    raw = only(reference_raw(), "edss_change")
    set_value(raw, "safety.related_serious_risk", 1.0)
    certain = prepare(protocol, scenarios_of(raw, "reference")[0], reference_pool)
    row = simulate_trial(certain, np.random.default_rng(1))
    assert (row["gate.stopped"], row["gate.stop_after"]) == (1.0, 1.0)
    assert "endpoint.edss_change.reject" not in row
    assert row["duration_days"] == row["gate.day"]
    assert 1 <= row["enrolled"] < 6  # those not yet dosed when it stopped never are
