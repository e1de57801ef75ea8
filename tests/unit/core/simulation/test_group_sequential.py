"""O'Brien–Fleming boundaries against rpact's published values, and rpact's group-sequential
simulation example reproduced within Monte Carlo error (shared/reference-data/README.md,
"Other oracles")."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from trialkit.core.simulation.group_sequential import obrien_fleming, simulate_means

# rpact tests/testthat/test-f_design_group_sequential.R: getDesignInverseNormal() defaults
# (kMax = 3, alpha = 0.025, O'Brien–Fleming; a group-sequential design has the same values).
RPACT_OF_3 = (3.4710914, 2.4544323, 2.0040356)
# README: getSimulationMeans(getDesignGroupSequential(kMax = 2, alpha = 0.025, "OF",
# futilityBounds = 0), alternative = c(0, 0.5), stDev = 0.6, plannedSubjects = c(18, 36),
# maxNumberOfIterations = 10000, seed = 12345), rpact 3.3.4.
RPACT_SIMULATION = {0.0: (0.0252, 0.5034, 0.5011, 26.94), 0.5: (0.6808, 0.1483, 0.0381, 33.33)}
ITERATIONS = 10_000


def test_three_look_boundaries_equal_rpact_s_published_values():
    design = obrien_fleming(3, 0.025)
    assert design.critical == pytest.approx(RPACT_OF_3, abs=2e-5)


def test_two_look_boundaries_have_the_o_brien_fleming_shape_and_exact_level():
    c1, c2 = obrien_fleming(2, 0.025).critical
    assert c1 == pytest.approx(math.sqrt(2) * c2, rel=1e-12)  # c_k = C / sqrt(t_k)
    # P(Z1 >= c1 or Z2 >= c2) under H0 by one-dimensional integration, corr = sqrt(1/2).
    rho = math.sqrt(0.5)

    def continue_then_cross(z1: float) -> float:
        return stats.norm.pdf(z1) * stats.norm.sf((c2 - rho * z1) / math.sqrt(1 - rho ** 2))
    crossing, _ = integrate.quad(continue_then_cross, -np.inf, c1, epsabs=1e-13)
    assert stats.norm.sf(c1) + crossing == pytest.approx(0.025, abs=1e-7)


def test_a_single_look_is_the_fixed_design():
    assert obrien_fleming(1, 0.025).critical == pytest.approx((stats.norm.isf(0.025),))


@pytest.mark.parametrize("alternative", [0.0, 0.5])
def test_rpact_s_group_sequential_example_is_reproduced_within_monte_carlo_error(alternative):
    design = obrien_fleming(2, 0.025, futility=(0.0,))
    ours = simulate_means(design, alternative, 0.6, (18, 36), ITERATIONS,
                          np.random.default_rng(12345))
    rejection, early, futility, subjects = RPACT_SIMULATION[alternative]
    for value, theirs in ((ours.rejection, rejection), (ours.early_stop, early),
                          (ours.futility_stop, futility)):
        # Both are simulations of 10,000 trials: the difference has sqrt(2) × one MCSE.
        assert value == pytest.approx(theirs, abs=3 * math.sqrt(2) * ours.mcse(theirs))
    # Expected subjects: 36 − 18 × P(early stop), whose MCSE is 18 × MCSE(P(early stop)).
    assert ours.expected_subjects == pytest.approx(subjects, abs=3 * math.sqrt(2) * 18
                                                   * ours.mcse(early))


def test_planned_subjects_must_match_the_looks():
    with pytest.raises(ValueError, match="planned_subjects"):
        simulate_means(obrien_fleming(2), 0.5, 0.6, (18,), 10, np.random.default_rng(1))
