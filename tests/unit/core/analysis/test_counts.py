"""Count models on small data: the fallbacks and edge cases the R oracle cannot show."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trialkit.core.analysis import AnalysisInputError, Table, negative_binomial, poisson


def relapses(sham: list[int], umsc: list[int], years: float = 1.0) -> Table:
    counts = np.array(sham + umsc, dtype=float)
    return Table({"ARM": ["SHAM"] * len(sham) + ["UMSC01"] * len(umsc), "N": counts,
                  "YEARS": np.full(len(counts), years)})


def nb(data: Table, **options):
    return negative_binomial(data, response="N", treatment="ARM", reference="SHAM",
                             exposure="YEARS", **options)


def test_underdispersed_counts_give_a_poisson_fit_and_say_why():
    result = nb(relapses([1, 1, 1, 0, 1, 1], [0, 1, 0, 1, 0, 0]))
    assert (result.model, result.fallback) == ("poisson", True)
    assert result.notes == ("the counts are not overdispersed (negative binomial θ̂ → ∞); a "
                            "Poisson model was fitted",)


def test_without_any_event_nothing_is_modelled_and_the_result_says_so():
    result = nb(relapses([0, 0, 0], [0, 0, 0]))
    assert (result.model, result.coefficients, result.rate_ratios) == ("none", (), ())
    assert result.notes == ("no events in any arm: there is nothing to model",)
    assert [(arm.events, arm.exposure) for arm in result.arms] == [(0, 3.0), (0, 3.0)]


def test_an_arm_without_events_has_a_rate_ratio_of_zero_and_no_interval():
    result = poisson(relapses([2, 1, 3, 0], [0, 0, 0, 0]), response="N", treatment="ARM",
                     reference="SHAM", exposure="YEARS")
    (ratio,) = result.rate_ratios
    assert (ratio.estimate, ratio.ci_lower, ratio.p_value) == (0.0, None, None)
    assert "arm 'UMSC01' has no events" in result.notes[-1]


def test_the_rate_ratio_is_the_ratio_of_crude_rates_without_covariates():
    data = relapses([2, 1, 3, 0], [1, 0, 1, 0], years=2.0)
    result = poisson(data, response="N", treatment="ARM", reference="SHAM",
                     exposure="YEARS")
    assert result.rate_ratios[0].estimate == pytest.approx((2 / 8) / (6 / 8))
    assert [arm.crude_rate for arm in result.arms] == [6 / 8, 2 / 8]
    assert result.rates[0].estimate == pytest.approx(6 / 8)


def test_rows_with_no_follow_up_are_left_out_with_a_note():
    data = relapses([2, 1, 3, 0], [1, 0, 1, 0]).with_columns(
        {"YEARS": np.array([1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, np.nan])})
    result = poisson(data, response="N", treatment="ARM", reference="SHAM", exposure="YEARS")
    assert result.n == 6
    assert result.notes == ("1 row(s) with 'YEARS' ≤ 0 were left out",
                            "1 row(s) without 'YEARS' were left out")


def test_counts_must_be_whole_and_not_negative():
    with pytest.raises(AnalysisInputError, match="whole numbers"):
        poisson(relapses([1, 2], [0, 1]).with_columns({"N": np.array([1.0, 2.5, 0.0, 1.0])}),
                response="N", treatment="ARM", reference="SHAM")


def test_an_overdispersed_sample_gets_a_finite_theta_and_wider_intervals_than_poisson():
    data = relapses([0, 0, 0, 7, 0, 1, 0, 9, 0, 0], [0, 2, 0, 0, 5, 0, 0, 0, 1, 0])
    fitted_nb, fitted_poisson = nb(data), poisson(data, response="N", treatment="ARM",
                                                  reference="SHAM", exposure="YEARS")
    assert fitted_nb.model == "negative binomial" and not fitted_nb.fallback
    assert 0 < fitted_nb.theta < 1
    assert fitted_nb.coefficients[1].se > fitted_poisson.coefficients[1].se
    assert math.isclose(fitted_nb.rate_ratios[0].estimate, 8 / 17, rel_tol=1e-6)
