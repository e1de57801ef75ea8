"""Kaplan–Meier, log-rank and Cox on small data: conventions and edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from trialkit.core.analysis import AnalysisInputError, Table, cox, kaplan_meier, logrank


def tte(times, censored, arms=None) -> Table:
    columns = {"AVAL": np.array(times, dtype=float), "CNSR": np.array(censored, dtype=float)}
    if arms is not None:
        columns["ARM"] = arms
    return Table(columns)


def test_a_censoring_at_an_event_time_still_counts_in_that_risk_set():
    curve = kaplan_meier(tte([2, 2, 3, 4], [0, 1, 0, 1])).curve("all")
    first = curve.steps[0]
    assert (first.n_risk, first.n_event, first.n_censor, first.survival) == (4, 1, 1, 0.75)
    assert curve.steps[1].survival == pytest.approx(0.75 * 0.5)


def test_a_curve_without_events_stays_at_one_and_has_no_median():
    curve = kaplan_meier(tte([3, 5, 8], [1, 1, 1])).curve("all")
    assert [s.survival for s in curve.steps] == [1.0, 1.0, 1.0]
    assert (curve.median, curve.median_ci) == (None, (None, None))
    assert curve.steps[0].ci_lower == 1.0


def test_when_everyone_fails_the_last_step_has_no_standard_error_or_interval():
    last = kaplan_meier(tte([1, 2], [0, 0])).curve("all").steps[-1]
    assert (last.survival, last.se, last.ci_lower, last.ci_upper) == (0.0, None, None, None)


def test_rows_without_a_time_are_left_out_and_negative_times_refused():
    result = kaplan_meier(tte([1, np.nan, 3], [0, 0, 1]))
    assert result.curve("all").n == 2
    assert result.notes == ("1 row(s) without a time, censoring flag or group were left out",)
    with pytest.raises(AnalysisInputError, match="negative"):
        kaplan_meier(tte([-1, 2], [0, 0]))


def test_the_log_rank_test_needs_two_groups():
    with pytest.raises(AnalysisInputError, match="two groups"):
        logrank(tte([1, 2], [0, 0], ["A", "A"]), group="ARM")


def test_a_cox_model_without_events_is_refused():
    with pytest.raises(AnalysisInputError, match="no events"):
        cox(tte([1, 2, 3, 4], [1, 1, 1, 1], ["A", "A", "B", "B"]), treatment="ARM",
            reference="A")


def test_an_arm_without_events_gets_a_zero_hazard_ratio_without_a_wald_interval():
    data = tte([1, 2, 3, 4, 5, 6, 7, 8], [0, 0, 1, 0, 1, 1, 1, 1],
               ["A", "A", "A", "A", "B", "B", "B", "B"])
    result = cox(data, treatment="ARM", reference="A")
    (ratio,) = result.hazard_ratios
    assert (ratio.estimate, ratio.ci_lower, ratio.p_value) == (0.0, None, None)
    assert "monotone likelihood" in result.notes[0]
    assert result.likelihood_ratio.p_value < 0.05
