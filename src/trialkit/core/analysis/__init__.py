"""Statistical methods for a trial's analyses: pure numpy/scipy, typed results, oracle-tested.

Inputs are ``Table``s of named columns (ADaM-like datasets); results are frozen dataclasses
with estimates, SEs, CIs, p-values, df, n and notes (``as_data`` makes them JSON-ready).
Methods are also available by name with parameters as data (``method("mmrm")``), which is
how protocol files declare analyses. See docs/analysis.md.

Names are imported when first used (PEP 562): loading a protocol checks its analyses against
the catalogue without importing scipy.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trialkit.core.analysis.ancova import AncovaResult, ancova
    from trialkit.core.analysis.catalogue import method, methods
    from trialkit.core.analysis.counts import CountResult, negative_binomial, poisson
    from trialkit.core.analysis.cox import CoxResult, cox
    from trialkit.core.analysis.dataset_json import read_dataset_json
    from trialkit.core.analysis.describe import RatesResult, SummaryResult, rates, summary
    from trialkit.core.analysis.disability import (
        Assessment,
        DisabilityOutcome,
        DisabilityRule,
        confirmed_change,
    )
    from trialkit.core.analysis.logrank import LogRankTest, logrank
    from trialkit.core.analysis.mmrm import MmrmResult, mmrm
    from trialkit.core.analysis.proportions import (
        clopper_pearson,
        fisher_exact,
        newcombe_difference,
    )
    from trialkit.core.analysis.registry import Method, Parameter
    from trialkit.core.analysis.responders import ProportionsResult, proportions_by_arm
    from trialkit.core.analysis.results import Estimate, as_data
    from trialkit.core.analysis.safety import SafetyTable, events_by_term, overview
    from trialkit.core.analysis.safety_worst import by_worst_category
    from trialkit.core.analysis.subsets import AllOf, AnyOf, Condition, Not, where_from_data
    from trialkit.core.analysis.survival import KaplanMeierResult, kaplan_meier
    from trialkit.core.analysis.table import AnalysisInputError, Table

_WHERE = {
    "RatesResult": "trialkit.core.analysis.describe",
    "SummaryResult": "trialkit.core.analysis.describe",
    "rates": "trialkit.core.analysis.describe",
    "summary": "trialkit.core.analysis.describe",
    "AllOf": "trialkit.core.analysis.subsets",
    "AnalysisInputError": "trialkit.core.analysis.table",
    "AncovaResult": "trialkit.core.analysis.ancova",
    "AnyOf": "trialkit.core.analysis.subsets",
    "Assessment": "trialkit.core.analysis.disability",
    "Condition": "trialkit.core.analysis.subsets",
    "CountResult": "trialkit.core.analysis.counts",
    "CoxResult": "trialkit.core.analysis.cox",
    "DisabilityOutcome": "trialkit.core.analysis.disability",
    "DisabilityRule": "trialkit.core.analysis.disability",
    "Estimate": "trialkit.core.analysis.results",
    "KaplanMeierResult": "trialkit.core.analysis.survival",
    "LogRankTest": "trialkit.core.analysis.logrank",
    "Method": "trialkit.core.analysis.registry",
    "MmrmResult": "trialkit.core.analysis.mmrm",
    "Not": "trialkit.core.analysis.subsets",
    "Parameter": "trialkit.core.analysis.registry",
    "ProportionsResult": "trialkit.core.analysis.responders",
    "SafetyTable": "trialkit.core.analysis.safety",
    "Table": "trialkit.core.analysis.table",
    "ancova": "trialkit.core.analysis.ancova",
    "as_data": "trialkit.core.analysis.results",
    "by_worst_category": "trialkit.core.analysis.safety_worst",
    "clopper_pearson": "trialkit.core.analysis.proportions",
    "confirmed_change": "trialkit.core.analysis.disability",
    "cox": "trialkit.core.analysis.cox",
    "events_by_term": "trialkit.core.analysis.safety",
    "fisher_exact": "trialkit.core.analysis.proportions",
    "kaplan_meier": "trialkit.core.analysis.survival",
    "logrank": "trialkit.core.analysis.logrank",
    "method": "trialkit.core.analysis.catalogue",
    "methods": "trialkit.core.analysis.catalogue",
    "mmrm": "trialkit.core.analysis.mmrm",
    "negative_binomial": "trialkit.core.analysis.counts",
    "newcombe_difference": "trialkit.core.analysis.proportions",
    "overview": "trialkit.core.analysis.safety",
    "poisson": "trialkit.core.analysis.counts",
    "proportions_by_arm": "trialkit.core.analysis.responders",
    "read_dataset_json": "trialkit.core.analysis.dataset_json",
    "where_from_data": "trialkit.core.analysis.subsets",
}

__all__ = [
    "AllOf", "AnalysisInputError", "AncovaResult", "AnyOf", "Assessment", "Condition",
    "CountResult", "CoxResult", "DisabilityOutcome", "DisabilityRule", "Estimate",
    "KaplanMeierResult", "LogRankTest", "Method", "MmrmResult", "Not", "Parameter",
    "ProportionsResult", "RatesResult", "SafetyTable", "SummaryResult", "Table", "ancova",
    "as_data", "by_worst_category", "clopper_pearson", "confirmed_change", "cox",
    "events_by_term", "fisher_exact", "kaplan_meier", "logrank", "method", "methods", "mmrm",
    "negative_binomial", "newcombe_difference", "overview", "poisson", "proportions_by_arm",
    "rates", "read_dataset_json", "summary", "where_from_data",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """Keeps a function that shares its module's name (``mmrm``, ``cox``, ...) the package's
    attribute: importing the submodule would otherwise replace it with the module."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _WHERE.get(name) == value.__name__:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
