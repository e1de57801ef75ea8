"""Wald estimates and ratios at the edges of floating point."""

from __future__ import annotations

import math

from trialkit.core.analysis.results import as_data, wald_ratio


def test_a_ratio_whose_upper_log_limit_overflows_has_an_infinite_upper_limit():
    # A near-monotone fit: log rate ratio 5 with SE 400 puts the upper log limit near 789,
    # beyond exp's range (about 709.8).
    ratio = wald_ratio("UMSC01 vs Placebo", 5.0, 400.0)
    assert ratio.ci_upper == math.inf
    assert ratio.ci_lower is not None and 0 <= ratio.ci_lower < 1e-300
    assert ratio.estimate == math.exp(5.0)


def test_an_infinite_limit_becomes_null_in_json_ready_data():
    assert as_data(wald_ratio("a vs b", 5.0, 400.0))["ci_upper"] is None
