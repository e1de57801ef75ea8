"""An analysis the data cannot support yet says why in the data's terms (an early trial: no
one at the visit, no scan yet, every response still unknown), not through a symptom such as
a reference arm missing from an empty level list."""

from __future__ import annotations

import numpy as np
import pytest

from trialkit.core.analysis import ancova, negative_binomial
from trialkit.core.analysis.responders import proportions_by_arm
from trialkit.core.analysis.table import AnalysisInputError, Table

ARMS = ["Placebo", "MSC", "MSC"]


def test_a_model_with_no_complete_row_says_there_is_none():
    data = Table({"CHG": np.full(3, np.nan), "TRT": ARMS, "BASE": np.ones(3)})
    with pytest.raises(AnalysisInputError, match=r"no row to analyse \(3 row\(s\) without"):
        ancova(data, response="CHG", treatment="TRT", reference="Placebo", covariates=["BASE"])
    with pytest.raises(AnalysisInputError, match=r"no row to analyse \(none in the data"):
        ancova(data.where(np.zeros(3, dtype=bool)), response="CHG", treatment="TRT",
               reference="Placebo")


def test_counts_without_any_exposure_say_nothing_was_followed_yet():
    data = Table({"AVAL": np.zeros(3), "EXPOS": np.zeros(3), "TRT": ARMS})
    with pytest.raises(AnalysisInputError, match="no row with 'EXPOS' > 0"):
        negative_binomial(data, response="AVAL", treatment="TRT", reference="Placebo",
                          exposure="EXPOS")


def test_proportions_with_every_response_unknown_say_so():
    data = Table({"AVALC": ["", "", ""], "TRT": ARMS})
    with pytest.raises(AnalysisInputError, match="no row with a known 'AVALC'"):
        proportions_by_arm(data, response="AVALC", treatment="TRT", reference="Placebo")
