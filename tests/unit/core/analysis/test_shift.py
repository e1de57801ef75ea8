"""Shift tables: worst post-baseline category per participant by baseline and arm (labs),
one record per participant (an ordinal outcome by its baseline), the distribution without a
baseline; missing baselines shown, unknown categories refused. Counts checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from trialkit.core.analysis.catalogue import method
from trialkit.core.analysis.shift import shift_table
from trialkit.core.analysis.table import AnalysisInputError, Table

LAB = Table({
    "USUBJID": ["1", "1", "2", "2", "3", "4", "5"],
    "TRTA": ["A", "A", "A", "A", "B", "B", "B"],
    "BNRIND": ["NORMAL", "NORMAL", "HIGH", "HIGH", "NORMAL", "", "NORMAL"],
    "ANRIND": ["HIGH", "NORMAL", "NORMAL", "NORMAL", "NORMAL", "HIGH", ""]})


def counts(result, arm: str) -> dict[str, list[int]]:
    found = next(a for a in result.arms if a.group == arm)
    return {row.baseline: [c.n for c in row.counts] for row in found.rows}


def test_each_participant_counts_once_at_their_worst_record():
    result = shift_table(LAB, response="ANRIND", treatment="TRTA", baseline="BNRIND",
                         subject="USUBJID", order=["NORMAL", "HIGH"])
    assert result.worst and result.categories == ("NORMAL", "HIGH")
    assert counts(result, "A") == {"NORMAL": [0, 1], "HIGH": [1, 0], "(missing)": [0, 0]}
    # participant 5 has no later value: left out; 4 has no baseline: its own row
    assert counts(result, "B") == {"NORMAL": [1, 0], "HIGH": [0, 0], "(missing)": [0, 1]}
    assert result.n == 4
    assert any("without 'ANRIND'" in n for n in result.notes)
    a = next(x for x in result.arms if x.group == "A")
    assert a.rows[0].counts[1].percent == pytest.approx(100.0)


def test_an_ordinal_outcome_by_its_baseline_keeps_empty_categories():
    data = Table({"AVAL": np.array([0.0, 2.0, 2.0, 6.0]), "BASE": np.array([1.0, 2.0, 3.0, 3.0]),
                  "TRT": ["X", "X", "Y", "Y"]})
    result = shift_table(data, response="AVAL", treatment="TRT", baseline="BASE",
                         order=[str(k) for k in range(7)])
    assert not result.worst and len(result.categories) == 7
    assert counts(result, "Y")["3"] == [0, 0, 1, 0, 0, 0, 1]
    assert counts(result, "X")["5"] == [0] * 7


def test_without_a_baseline_it_is_the_distribution_by_arm():
    data = Table({"AVAL": np.array([0.0, 1.0, 1.0]), "TRT": ["X", "X", "Y"]})
    result = shift_table(data, response="AVAL", treatment="TRT")
    assert counts(result, "X") == {"(all)": [1, 1]}


def test_a_category_outside_the_order_is_refused():
    with pytest.raises(AnalysisInputError, match="not in the order"):
        shift_table(LAB, response="ANRIND", treatment="TRTA", order=["NORMAL"])


def test_the_registry_runs_it():
    result = method("shift_table").run({"data": LAB}, {
        "response": "ANRIND", "treatment": "TRTA", "baseline": "BNRIND", "subject": "USUBJID",
        "order": ["NORMAL", "HIGH"]})
    assert counts(result, "A")["NORMAL"] == [0, 1]
