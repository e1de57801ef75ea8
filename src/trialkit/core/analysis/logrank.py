"""The log-rank test (Mantel 1966; Peto & Peto 1972), optionally stratified, as R ``survdiff``.

At each distinct event time the observed events of each group are compared with those
expected if every participant at risk had the same hazard; the statistic (O − E)ᵀ V⁻ (O − E)
uses the hypergeometric variance, summed over strata, and is χ² with (groups − 1) df.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from trialkit.core.analysis.survival import survival_data
from trialkit.core.analysis.table import AnalysisInputError, FloatArray, Table


@dataclass(frozen=True)
class LogRankTest:
    groups: tuple[str, ...]
    observed: tuple[float, ...]
    expected: tuple[float, ...]
    chi_square: float
    df: int
    p_value: float
    notes: tuple[str, ...]


def logrank(data: Table, *, group: str, time: str = "AVAL", censor: str = "CNSR",
            strata: Sequence[str] = (), groups: Sequence[str] | None = None) -> LogRankTest:
    data, notes = survival_data(data, time, censor, [group, *strata])
    labels = data.text(group)
    order = tuple(groups) if groups is not None else tuple(sorted(set(labels)))
    if len(order) < 2:
        raise AnalysisInputError(f"'{group}': the log-rank test needs two groups or more")
    membership = np.column_stack([labels == g for g in order]).astype(float)
    stratum = strata_codes(data, strata)
    times, events = data.numeric(time), data.numeric(censor) == 0
    k = len(order)
    o_minus_e, variance = np.zeros(k), np.zeros((k, k))
    observed, expected = np.zeros(k), np.zeros(k)
    for key in set(stratum):
        rows = stratum == key
        parts = _stratum(times[rows], events[rows], membership[rows])
        observed += parts[0]
        expected += parts[1]
        variance += parts[2]
    o_minus_e = observed - expected
    chi = float(o_minus_e[1:] @ np.linalg.pinv(variance[1:, 1:]) @ o_minus_e[1:])
    return LogRankTest(order, tuple(map(float, observed)), tuple(map(float, expected)), chi,
                       k - 1, float(stats.chi2.sf(chi, k - 1)), notes)


def strata_codes(data: Table, strata: Sequence[str]) -> FloatArray:
    """One code per combination of the strata columns' values (all 0 without strata)."""
    if not strata:
        return np.zeros(data.n_rows)
    keys = ["\x1f".join(row) for row in zip(*(data.text(s) for s in strata), strict=True)]
    codes = {key: i for i, key in enumerate(sorted(set(keys)))}
    return np.array([codes[key] for key in keys], dtype=float)


def _stratum(times: FloatArray, events: FloatArray, membership: FloatArray
             ) -> tuple[FloatArray, FloatArray, FloatArray]:
    k = membership.shape[1]
    observed, expected, variance = np.zeros(k), np.zeros(k), np.zeros((k, k))
    for t in np.unique(times[events.astype(bool)]):
        at_risk = membership[times >= t].sum(axis=0)
        died = membership[(times == t) & events.astype(bool)].sum(axis=0)
        n, d = at_risk.sum(), died.sum()
        share = at_risk / n
        observed += died
        expected += d * share
        if n > 1:
            variance += d * (n - d) / (n - 1) * (np.diag(share) - np.outer(share, share))
    return observed, expected, variance
