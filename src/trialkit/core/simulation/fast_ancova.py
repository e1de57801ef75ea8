"""The ANCOVA of a simulated trial without building an analysis table: the same model and the
same least-squares computation as ``trialkit.core.analysis.ancova`` (tests prove the two give
the same estimate, SE, CI and p to rounding), a hundred times faster.

Model: response ~ arm + stratum + baseline, the control arm as reference, treatment coding;
a stratum factor with a single level among the analysed rows is dropped, as the analysis
does; the arm difference is the arm's coefficient (no interaction), with a t test on n − p
degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Difference:
    estimate: float
    se: float
    lower: float
    upper: float
    p_value: float
    df: int
    n: int


NO_RESULT = Difference(np.nan, np.nan, np.nan, np.nan, np.nan, 0, 0)


def ancova_difference(response: FloatArray, active: npt.NDArray[np.bool_],
                      strata: npt.NDArray[np.str_] | npt.NDArray[np.object_] | None,
                      baseline: FloatArray | None, confidence: float = 0.95) -> Difference:
    """Arm difference (active − control) of the complete rows; NaN when not estimable."""
    used = ~np.isnan(response)
    if baseline is not None:
        used &= ~np.isnan(baseline)
    n = int(used.sum())
    if n == 0 or active[used].all() or not active[used].any():
        return NO_RESULT
    columns = [np.ones(n), active[used].astype(float)]
    if strata is not None:
        levels = sorted(set(strata[used]))
        columns += [(strata[used] == level).astype(float) for level in levels[1:]]
    if baseline is not None:
        columns.append(baseline[used])
    x = np.column_stack(columns)
    return _fit(x, response[used], confidence)


def _fit(x: FloatArray, y: FloatArray, confidence: float) -> Difference:
    n, p = x.shape
    beta, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
    if rank < p or n <= p:
        return NO_RESULT
    residuals = y - x @ beta
    df = n - p
    sigma2 = float(residuals @ residuals / df)
    se = float(np.sqrt(sigma2 * np.linalg.inv(x.T @ x)[1, 1]))
    estimate = float(beta[1])
    if not se > 0:
        return Difference(estimate, se, np.nan, np.nan, np.nan, df, n)
    quantile = float(stats.t.ppf(0.5 + confidence / 2, df))
    statistic = estimate / se
    return Difference(estimate, se, estimate - quantile * se, estimate + quantile * se,
                      float(2 * stats.t.sf(abs(statistic), df)), df, n)
