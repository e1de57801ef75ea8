"""Each analysis the simulation runs rejects a true null at its level: the count models
(negative binomial with its Poisson fallback, robust Poisson) where their asymptotics hold,
and Fisher's exact test at its exact size (an exact test's size is below alpha)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from trialkit.core.simulation.endpoints import Randomized, analyse
from trialkit.core.simulation.scenario_file import Endpoint

CONTROL, ACTIVE = "control", "active"


def randomized(rng: np.random.Generator, per_arm: int, relapses: np.ndarray,
               follow: np.ndarray, ratings: dict[str, np.ndarray] | None = None) -> Randomized:
    n = 2 * per_arm
    arm = np.array([ACTIVE, CONTROL] * per_arm, dtype=object)
    who = np.repeat(np.arange(n), relapses)
    day = rng.random(len(who)) * follow[who]
    visit = {"END": np.full(n, 365.0)}
    return Randomized(arm, np.full(n, "all", dtype=object), CONTROL, ACTIVE, visit,
                      ratings or {}, {}, {}, who.astype(np.int64), day, follow)


def rate_endpoint(method: str) -> Endpoint:
    return Endpoint.model_validate({"id": "rate", "method": method, "adjust_for_strata": False,
                                    "measure": {"kind": "relapse_rate", "until_visit": "END"}})


@pytest.mark.parametrize("method", ["negative_binomial", "poisson"])
def test_a_count_model_rejects_a_true_null_at_its_level(method):
    """Gamma-Poisson counts (shape 1) at an ARR of 0.8 with 60 per arm: 300 data sets."""
    rng = np.random.default_rng(7)
    reps, per_arm = 300, 60
    rejected = 0
    for _ in range(reps):
        counts = rng.poisson(0.8 * rng.gamma(1.0, 1.0, 2 * per_arm))
        outcome = analyse(rate_endpoint(method), randomized(rng, per_arm, counts,
                                                            np.full(2 * per_arm, 365.25)), 0.95)
        rejected += outcome.p_value < 0.05
    size = rejected / reps
    if method == "poisson":  # model-based Poisson SEs ignore the frailty: anticonservative
        assert size > 0.05 + 3 * math.sqrt(0.05 * 0.95 / reps)
    else:
        assert size == pytest.approx(0.05, abs=3 * math.sqrt(0.05 * 0.95 / reps))


def fisher_size(n1: int, n0: int, p: float, alpha: float = 0.05) -> float:
    """Exact probability that Fisher's two-sided test rejects when both arms have rate p."""
    total = 0.0
    for x1 in range(n1 + 1):
        for x0 in range(n0 + 1):
            if 0 < x1 + x0 < n1 + n0:
                pv = stats.fisher_exact([[x1, n1 - x1], [x0, n0 - x0]]).pvalue
                if pv < alpha:
                    total += stats.binom.pmf(x1, n1, p) * stats.binom.pmf(x0, n0, p)
    return total


def test_the_proportions_test_rejects_at_fisher_s_exact_size():
    """No activity in 40 % of each arm (18 per arm): the simulated rejection rate is the exact
    size of Fisher's test at this size, which is below 0.05."""
    rng = np.random.default_rng(11)
    reps, per_arm = 700, 18
    endpoint = Endpoint.model_validate({"id": "free", "method": "proportions", "measure": {
        "kind": "no_activity", "until_visit": "END", "worsening": [[10.0, 1.0]]}})
    rejected = 0
    for _ in range(reps):
        active = rng.random(2 * per_arm) < 0.6
        data = randomized(rng, per_arm, active.astype(int), np.full(2 * per_arm, 400.0),
                          ratings={"END": np.zeros(2 * per_arm)})
        rejected += analyse(endpoint, data, 0.95).p_value < 0.05
    exact = fisher_size(per_arm, per_arm, 0.4)
    assert exact < 0.05
    assert rejected / reps == pytest.approx(exact, abs=3 * math.sqrt(exact * (1 - exact) / reps))
