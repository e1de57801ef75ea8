"""The simulation's ANCOVA fast path gives what trialkit.core.analysis.ancova gives."""

from __future__ import annotations

import numpy as np
import pytest

from trialkit.core.analysis import Table, ancova
from trialkit.core.simulation.fast_ancova import ancova_difference


def data_set(rng: np.random.Generator, n: int, strata: tuple[str, ...], missing: float):
    arm = rng.permutation(np.array(["active", "control"] * (n // 2) + ["control"] * (n % 2),
                                   dtype=object))
    stratum = rng.choice(np.array(strata, dtype=object), n)
    baseline = rng.uniform(2, 6.5, n)
    response = 0.3 * baseline - 0.4 * (arm == "active") + rng.normal(0, 0.6, n)
    response[rng.random(n) < missing] = np.nan
    return arm, stratum, baseline, response


@pytest.mark.parametrize("case", range(40))
def test_the_fast_path_equals_the_analysis_package(case):
    rng = np.random.default_rng(case)
    strata = (("RRMS", "SPMS"), ("RRMS",), ("a", "b", "c"))[case % 3]
    arm, stratum, baseline, response = data_set(rng, 20 + case, strata, 0.1 * (case % 2))
    fast = ancova_difference(response, arm == "active", stratum, baseline)
    slow = ancova(Table({"y": response, "arm": arm, "s": stratum, "b": baseline}),
                  response="y", treatment="arm", reference="control", factors=["s"],
                  covariates=["b"])
    [difference] = slow.differences
    assert (fast.estimate, fast.se, fast.lower, fast.upper, fast.p_value) == pytest.approx(
        (difference.estimate, difference.se, difference.ci_lower, difference.ci_upper,
         difference.p_value), rel=1e-10, abs=1e-12)
    assert (fast.df, fast.n) == (slow.df_residual, slow.n)


def test_a_single_arm_has_no_difference():
    ones = np.ones(6)
    assert np.isnan(ancova_difference(ones, np.ones(6, dtype=bool), None, None).estimate)
