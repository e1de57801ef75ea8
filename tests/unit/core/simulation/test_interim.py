"""In the trial: conditional power from the responses so far, and the predicted end date."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats

from trialkit.core.simulation.interim import conditional_power, last_visit_day, predicted_end


def responses(rng: np.random.Generator, n: int, mean: float) -> np.ndarray:
    return rng.normal(mean, 0.6, n)


def test_with_almost_no_data_conditional_power_is_the_design_s_power():
    """At information fraction t → 0 the B-value formula gives the fixed design's power."""
    active, control = np.array([0.1, -0.1]), np.array([0.1, -0.1])
    cp = conditional_power(active, control, planned_active=10_000, planned_control=10_000,
                           effect=-0.03, sd=0.6)
    drift = 0.03 / (0.6 * math.sqrt(2 / 10_000))
    assert cp.power == pytest.approx(stats.norm.sf(1.96 - drift) + stats.norm.cdf(-1.96 - drift),
                                     abs=2e-3)


def test_with_every_response_in_conditional_power_is_the_final_test_s_decision():
    rng = np.random.default_rng(3)
    active, control = responses(rng, 18, -0.6), responses(rng, 17, 0.0)
    cp = conditional_power(active, control, planned_active=18, planned_control=17)
    assert cp.information_fraction == 1.0
    assert cp.power == float(abs(cp.z_now) > stats.norm.isf(0.025))


def test_the_simulated_conditional_power_agrees_with_the_b_value_formula():
    """With many participants the t test is the z test: the two methods agree within MCSE."""
    rng = np.random.default_rng(4)
    active, control = responses(rng, 60, -0.15), responses(rng, 60, 0.0)
    kwargs = {"planned_active": 150, "planned_control": 150, "effect": -0.1}
    analytic = conditional_power(active, control, **kwargs)
    simulated = conditional_power(active, control, method="simulation", simulations=4000,
                                  rng=np.random.default_rng(5), **kwargs)
    assert 0.1 < analytic.power < 0.9
    assert simulated.power == pytest.approx(analytic.power, abs=3 * simulated.mcse + 0.01)


def test_the_current_trend_is_the_default_assumption():
    active, control = np.array([-1.0, -0.5, 0.0]), np.array([0.0, 0.5, 1.0])
    cp = conditional_power(active, control, planned_active=10, planned_control=10)
    assert cp.effect == pytest.approx(-1.0)


def test_too_few_responses_are_refused():
    with pytest.raises(ValueError, match="at least two"):
        conditional_power([0.1], [0.2, 0.3], planned_active=5, planned_control=5)


def test_a_fully_enrolled_part_ends_with_its_last_participant_s_last_visit(protocol):
    follow = last_visit_day(protocol)
    assert follow == 393 + 14
    day0 = [dt.date(2025, 1, 1) + dt.timedelta(days=30 * i) for i in range(4)]
    end = predicted_end(today=dt.date(2025, 6, 1), opened=dt.date(2025, 1, 1),
                        day0_dates=day0, target=4, follow_days=follow)
    assert end.median == end.p10 == end.p90 == day0[-1] + dt.timedelta(days=follow)


def test_the_predicted_end_follows_the_enrolment_rate_seen_so_far():
    """10 participants in 300 days; 10 more at that rate take about 300 days."""
    opened, today = dt.date(2025, 1, 1), dt.date(2025, 10, 28)
    day0 = [opened + dt.timedelta(days=30 * i + 15) for i in range(10)]
    end = predicted_end(today=today, opened=opened, day0_dates=day0, target=20,
                        follow_days=400, rng=np.random.default_rng(6))
    expected = today + dt.timedelta(days=300 * 10 / 10.5 + 400)  # posterior mean rate
    assert abs((end.median - expected).days) < 30
    assert end.p10 < end.median < end.p90 and end.remaining == 10
