"""Statistical methods for a trial's analyses: pure numpy/scipy, typed results, oracle-tested.

Inputs are ``Table``s of named columns (ADaM-like datasets); results are frozen dataclasses
with estimates, SEs, CIs, p-values, df, n and notes (``as_data`` makes them JSON-ready).
Methods are also available by name with parameters as data (``method("mmrm")``), which is
how protocol files declare analyses. See docs/analysis.md.
"""

from trialkit.core.analysis.ancova import AncovaResult, ancova
from trialkit.core.analysis.catalogue import method, methods
from trialkit.core.analysis.counts import CountResult, negative_binomial, poisson
from trialkit.core.analysis.cox import CoxResult, cox
from trialkit.core.analysis.dataset_json import read_dataset_json
from trialkit.core.analysis.disability import (
    Assessment,
    DisabilityOutcome,
    DisabilityRule,
    confirmed_change,
)
from trialkit.core.analysis.logrank import LogRankTest, logrank
from trialkit.core.analysis.mmrm import MmrmResult, mmrm
from trialkit.core.analysis.proportions import clopper_pearson, fisher_exact, newcombe_difference
from trialkit.core.analysis.registry import Method, Parameter
from trialkit.core.analysis.responders import ProportionsResult, proportions_by_arm
from trialkit.core.analysis.results import Estimate, as_data
from trialkit.core.analysis.safety import SafetyTable, events_by_term, overview
from trialkit.core.analysis.safety_worst import by_worst_category
from trialkit.core.analysis.subsets import AllOf, AnyOf, Condition, Not, where_from_data
from trialkit.core.analysis.survival import KaplanMeierResult, kaplan_meier
from trialkit.core.analysis.table import AnalysisInputError, Table

__all__ = [
    "AllOf", "AnalysisInputError", "AncovaResult", "AnyOf", "Assessment", "Condition",
    "CountResult", "CoxResult", "DisabilityOutcome", "DisabilityRule", "Estimate",
    "KaplanMeierResult", "LogRankTest", "Method", "MmrmResult", "Not", "Parameter",
    "ProportionsResult", "SafetyTable", "Table", "ancova", "as_data", "by_worst_category",
    "clopper_pearson", "confirmed_change", "cox", "events_by_term", "fisher_exact",
    "kaplan_meier", "logrank", "method", "methods", "mmrm", "negative_binomial",
    "newcombe_difference", "overview", "poisson", "proportions_by_arm", "read_dataset_json",
    "where_from_data",
]
