"""How a declared analysis fills a method's parameters.

A protocol's analysis says its variable, grouping, reference, covariates and factors in ARS
terms; a method names them by what they are to it (``response`` of an ANCOVA, ``time`` of a
Kaplan–Meier curve, ``column`` of a worst-grade table; ``treatment`` or ``group``). The
analysis datasets fill a few more by convention: the participant (``USUBJID``), the visit
(``AVISIT``), the censoring flag (``CNSR``), the exposure of a count (``EXPOS``) and the
period of a crossover (``APERIOD``). What is
left is the analysis's ``options``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trialkit.core.analysis.registry import Method

VARIABLE = ("response", "time", "column")
GROUPING = ("treatment", "group")
CONVENTIONS = {"subject": "USUBJID", "visit": "AVISIT", "censor": "CNSR", "exposure": "EXPOS",
               "period": "APERIOD"}
DECLARED = {*VARIABLE, *GROUPING, "reference", "covariates", "factors"}


def option_names(method: Method) -> tuple[str, ...]:
    """The parameters an analysis gives in ``options`` (the rest come from its fields)."""
    return tuple(p.name for p in method.parameters
                 if p.name not in DECLARED and p.name not in CONVENTIONS)


def takes(method: Method, name: str) -> bool:
    return any(p.name == name for p in method.parameters)


def bind(method: Method, *, variable: str | None, grouping: str | None,
         reference: str | None, covariates: Sequence[str], factors: Sequence[str],
         options: Mapping[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    """The method's parameters for a declared analysis; conventions apply only to columns
    the dataset has, and only where the analysis did not say otherwise."""
    bound: dict[str, Any] = {}
    for name in VARIABLE:
        if variable is not None and takes(method, name):
            bound[name] = variable
    for name in GROUPING:
        if grouping is not None and takes(method, name):
            bound[name] = grouping
    if reference is not None and takes(method, "reference"):
        bound["reference"] = reference
    if covariates and takes(method, "covariates"):
        bound["covariates"] = list(covariates)
    if factors and takes(method, "factors"):
        bound["factors"] = list(factors)
    for name, column in CONVENTIONS.items():
        if takes(method, name) and column in columns:
            bound[name] = column
    return {**bound, **options}
