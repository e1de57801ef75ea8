"""Exact binomial CIs, Newcombe differences, Fisher's test and responders by arm.

Oracles: the reference-data README (0 of 6 → one-sided 95% upper bound 0.393) and
EVIDENCE.md (1 of 6 → 0.582); R 4.2.2 ``binom.test`` (printed in the comments);
Newcombe 1998 (Stat Med 17:873) Table II, method 10, the published worked examples;
statsmodels' independent implementation of the same interval.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from trialkit.core.analysis import (
    AnalysisInputError,
    Table,
    clopper_pearson,
    fisher_exact,
    newcombe_difference,
    proportions_by_arm,
)


def test_no_event_in_six_gives_the_one_sided_upper_bound_of_0_393():
    bound = clopper_pearson(0, 6, sided="upper")
    assert (bound.lower, round(bound.upper, 3)) == (0.0, 0.393)
    assert bound.upper == pytest.approx(1 - 0.05 ** (1 / 6), abs=1e-12)


def test_one_event_in_six_gives_the_one_sided_upper_bound_of_0_582():
    # R: binom.test(1, 6, alternative = "less")$conf.int -> 0.0000000 0.5818034
    assert clopper_pearson(1, 6, sided="upper").upper == pytest.approx(0.5818034, abs=5e-8)


def test_the_two_sided_exact_interval_matches_r_binom_test():
    # R: binom.test(3, 10)$conf.int -> 0.06673951 0.65245285
    interval = clopper_pearson(3, 10)
    assert (interval.lower, interval.upper) == (pytest.approx(0.06673951, abs=5e-9),
                                                pytest.approx(0.65245285, abs=5e-9))


def test_all_or_none_with_the_event_pins_one_limit_at_the_boundary():
    assert clopper_pearson(0, 10).lower == 0.0
    assert clopper_pearson(10, 10).upper == 1.0
    assert clopper_pearson(10, 10, sided="lower").lower == pytest.approx(0.05 ** 0.1)


def test_a_proportion_of_nobody_is_refused():
    with pytest.raises(AnalysisInputError):
        clopper_pearson(0, 0)
    with pytest.raises(AnalysisInputError):
        clopper_pearson(4, 3)


NEWCOMBE_TABLE_II = [  # x1, n1, x2, n2, lower, upper (method 10)
    (56, 70, 48, 80, 0.0524, 0.3339), (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062), (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775), (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000), (10, 10, 0, 10, 0.6075, 1.0000)]


@pytest.mark.parametrize(("x1", "n1", "x2", "n2", "lower", "upper"), NEWCOMBE_TABLE_II)
def test_the_difference_interval_reproduces_newcombes_published_examples(
        x1, n1, x2, n2, lower, upper):
    interval = newcombe_difference(x1, n1, x2, n2)
    assert (round(interval.lower, 4), round(interval.upper, 4)) == (lower, upper)
    other = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
    assert (interval.lower, interval.upper) == pytest.approx(other, abs=1e-12)


def test_fisher_exact_matches_scipy_and_is_undefined_on_a_zero_margin():
    assert fisher_exact(3, 18, 9, 17) == pytest.approx(
        stats.fisher_exact([[3, 15], [9, 8]]).pvalue, abs=1e-15)
    assert fisher_exact(0, 18, 0, 17) is None
    assert fisher_exact(18, 18, 17, 17) is None


NEDA = Table({"ARM": ["SHAM"] * 6 + ["UMSC01"] * 7,
              "NEDA3": ["N", "N", "Y", "N", "N", "", "Y", "Y", "N", "Y", "Y", "Y", "N"]})


def test_responders_by_arm_give_exact_intervals_and_a_difference_with_fisher_p():
    result = proportions_by_arm(NEDA, response="NEDA3", treatment="ARM", reference="SHAM")
    sham, umsc = result.arms
    assert (sham.events, sham.n, umsc.events, umsc.n) == (1, 5, 5, 7)
    assert (umsc.ci_lower, umsc.ci_upper) == (clopper_pearson(5, 7).lower,
                                              clopper_pearson(5, 7).upper)
    (difference,) = result.differences
    assert difference.label == "UMSC01 - SHAM"
    assert difference.difference == pytest.approx(5 / 7 - 1 / 5)
    assert difference.p_value == fisher_exact(5, 7, 1, 5)
    interval = newcombe_difference(5, 7, 1, 5)
    assert (difference.ci_lower, difference.ci_upper) == (interval.lower, interval.upper)


def test_a_missing_response_is_left_out_and_counted_not_taken_as_failure():
    result = proportions_by_arm(NEDA, response="NEDA3", treatment="ARM")
    assert result.notes == ("1 row(s) without 'NEDA3' or 'ARM' were left out",)
    assert result.differences == ()


def test_a_numeric_response_must_be_zero_or_one():
    numeric = Table({"ARM": ["A", "B", "B"], "R": np.array([1.0, 0.0, np.nan])})
    result = proportions_by_arm(numeric, response="R", treatment="ARM")
    assert [(p.events, p.n) for p in result.arms] == [(1, 1), (0, 1)]
    with pytest.raises(AnalysisInputError, match="0 or 1"):
        proportions_by_arm(Table({"ARM": ["A"], "R": np.array([2.0])}), response="R",
                           treatment="ARM")
