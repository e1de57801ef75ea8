"""Descriptive summaries and crude rates: what a pooled (blinded) view shows."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from trialkit.core.analysis import Table, method, rates, summary
from trialkit.core.analysis.describe import poisson_interval


def test_a_summary_gives_each_group_at_each_visit_with_r_quantiles():
    data = Table({"ARM": ["A"] * 4 + ["B"] * 3, "VIS": ["M3", "M3", "M6", "M6", "M3", "M3", "M3"],
                  "CHG": [1.0, 3.0, 0.5, np.nan, 2.0, 4.0, 9.0]})
    result = summary(data, response="CHG", treatment="ARM", visit="VIS",
                     visit_order=["M3", "M6"])
    rows = {(r.group, r.visit): r for r in result.rows}
    assert rows["B", "M3"].n == 3 and rows["B", "M3"].median == 4.0
    assert rows["B", "M3"].q1 == 3.0 and rows["B", "M3"].q3 == 6.5  # R quantile type 7
    assert rows["A", "M6"].n == 1 and rows["A", "M6"].sd is None
    assert rows["B", "M6"].n == 0 and rows["B", "M6"].mean is None
    assert result.notes == ("1 row(s) without 'CHG' were left out",)


def test_a_visit_outside_the_order_is_an_error():
    data = Table({"ARM": ["A"], "VIS": ["UNS"], "CHG": [1.0]})
    with pytest.raises(ValueError, match="UNS"):
        summary(data, response="CHG", treatment="ARM", visit="VIS", visit_order=["M3"])


def test_rates_have_exact_poisson_intervals_also_without_events():
    data = Table({"ARM": ["Pooled"] * 3, "N": [0.0, 2.0, 1.0], "Y": [1.0, 0.5, 1.5]})
    [row] = rates(data, response="N", treatment="ARM", exposure="Y").rows
    assert (row.events, row.exposure, row.rate) == (3, 3.0, 1.0)
    assert row.ci_lower == pytest.approx(stats.chi2.ppf(0.025, 6) / 2 / 3)
    assert poisson_interval(0)[0] == 0.0
    assert poisson_interval(0)[1] == pytest.approx(3.6888794541, rel=1e-9)  # R poisson.test


def test_the_descriptive_methods_are_in_the_catalogue():
    data = Table({"ARM": ["A", "B"], "AVAL": [1.0, 2.0]})
    result = method("summary").run({"data": data}, {"response": "AVAL", "treatment": "ARM"})
    assert [r.mean for r in result.rows] == [1.0, 2.0]
