"""What each endpoint's estimate targets: a change endpoint's true effect includes what fewer
relapses do to the disability score, as the model makes it."""

from __future__ import annotations

import numpy as np
import pytest

from tests.unit.core.simulation.conftest import only, reference_raw, scenarios_of, set_value
from trialkit.core.simulation.natural_history import People, simulate
from trialkit.core.simulation.setup import prepare
from trialkit.core.simulation.summary import relapsing, true_effect


@pytest.fixture(scope="module")
def setup(protocol, reference_pool):
    raw = only(reference_raw(), "edss_change", "arr")
    for path, value in (("population.rating_noise", 0.0), ("population.disability_slope_sd", 0.0),
                        ("population.disability_slope", [0.0] * 4)):
        set_value(raw, path, value)
    return prepare(protocol, scenarios_of(raw, "efficacy")[0], reference_pool)


def test_the_relapse_contribution_is_the_model_s_expected_disability_from_relapses(setup):
    """Untreated eligible participants, 393 days, no noise or slope: the mean latent change
    is the relapses' contribution (simulated with the model itself, on a continuous scale)."""
    rng = np.random.default_rng(1)
    n, day = 20_000, 393.0
    chosen = setup.eligible[rng.integers(0, len(setup.eligible), n)]
    pool = setup.pool
    people = People(pool.course[chosen], pool.frailty[chosen], np.zeros(n), np.zeros(n),
                    np.zeros(n, dtype=bool), np.full(n, day))
    continuous = type(setup.scale)(-100.0, 100.0, ())
    course = simulate(rng, setup.file, continuous, people, np.full((n, 1), day),
                      np.full((n, 1), day))
    simulated = course.disability[:, 0]
    assert simulated.mean() == pytest.approx(relapsing(setup, day),
                                             abs=3 * simulated.std() / np.sqrt(n))


def test_a_change_endpoint_targets_the_direct_and_the_relapse_mediated_effect(setup):
    effect, ratio = true_effect(setup, "edss_change")
    assert not ratio
    # No direct effect in this scenario; relapses halved: half the contribution, negative.
    assert effect == pytest.approx(-0.5 * relapsing(setup, 393.0))
    assert true_effect(setup, "arr") == (0.5, True)
