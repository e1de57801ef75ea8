"""Responder proportions by arm (e.g. NEDA-3 at month 12): exact CIs and differences.

Each row is one participant with a binary response: a text flag (``success`` lists the
values that count, ADaM's ``"Y"`` by default) or a number (1 success, 0 failure). Rows
without a response are left out and counted in a note: whether a missing NEDA-3 counts as
failure is the protocol's decision, made when the dataset is derived, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from trialkit.core.analysis.groups import arm_order, check_pairs, with_reference_first
from trialkit.core.analysis.proportions import (
    Proportion,
    ProportionDifference,
    difference,
    proportion,
)
from trialkit.core.analysis.table import AnalysisInputError, Array, Table
from trialkit.core.analysis.table import missing as is_missing


@dataclass(frozen=True)
class ProportionsResult:
    response: str
    treatment: str
    reference: str | None
    arms: tuple[Proportion, ...]
    differences: tuple[ProportionDifference, ...]
    confidence: float
    notes: tuple[str, ...]


def proportions_by_arm(data: Table, *, response: str, treatment: str,
                       reference: str | None = None, success: Sequence[str] = ("Y",),
                       arms: Sequence[str] | None = None,
                       comparisons: Sequence[tuple[str, str]] | None = None,
                       confidence: float = 0.95) -> ProportionsResult:
    """Per arm x/n with a Clopper–Pearson CI; with a reference (or ``comparisons``), the
    difference of each arm and the reference with Newcombe's CI and Fisher's p."""
    outcome, known = _outcome(data, response, success)
    groups = data.text(treatment)
    known &= ~is_missing(groups)
    notes = (f"{int((~known).sum())} row(s) without '{response}' or '{treatment}' were left "
             "out",) if (~known).any() else ()
    if not known.any():  # say why, rather than fail on a reference arm not found
        raise AnalysisInputError(f"no row with a known '{response}' (every participant's "
                                 f"response is still unknown)")
    order = arm_order(groups[known], arms, reference)
    counts = {arm: (int(outcome[known & (groups == arm)].sum()),
                    int((known & (groups == arm)).sum())) for arm in order}
    by_arm = tuple(proportion(arm, *counts[arm], confidence) for arm in order)
    compared = reference is not None or comparisons is not None
    pairs = check_pairs(comparisons, with_reference_first(order, reference)) if compared else ()
    differences = tuple(difference(f"{arm} - {against}", *counts[arm], *counts[against],
                                   confidence) for arm, against in pairs)
    return ProportionsResult(response, treatment, reference, by_arm, differences,
                             confidence, notes)


def _outcome(data: Table, response: str, success: Sequence[str]) -> tuple[Array, Array]:
    column = data[response]
    if column.dtype.kind in "biuf":
        values = data.numeric(response)
        known = ~np.isnan(values)
        if np.any((values[known] != 0) & (values[known] != 1)):
            raise AnalysisInputError(f"'{response}' must be 0 or 1 when numeric")
        return values == 1, known
    text = data.text(response)
    return np.isin(text, list(success)), ~is_missing(text)
