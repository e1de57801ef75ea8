"""ANCOVA: response ~ treatment + factors + covariates, least squares, LS-mean contrasts.

The change from baseline (say) is regressed on the arm, stratification factors or site, and
continuous covariates such as the baseline value; the treatment effect is the difference of
LS-means of each arm and the reference, which under this model (no treatment-by-covariate
interaction) is the arm's coefficient. Inference uses the t distribution on the residual
degrees of freedom n − p, as SAS PROC GLM and R ``lm`` do. LS-means are SAS's: equal weights
over the levels of other factors, covariates at their mean (see ``design``).

Edge cases: incomplete rows are left out and counted; a nuisance factor left with one level
is dropped; a design that is not of full rank (a site with one participant still identifies
its own mean, but a site confounded with an arm does not) is refused, naming the column;
with no residual degrees of freedom the SEs are undefined and the result says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from trialkit.core.analysis.frame import ModelFrame, model_frame
from trialkit.core.analysis.groups import check_pairs
from trialkit.core.analysis.results import Estimate, wald
from trialkit.core.analysis.table import FloatArray, Table


@dataclass(frozen=True)
class LinearFit:
    beta: FloatArray
    covariance: FloatArray
    """Estimated covariance of ``beta`` (σ²(X'X)⁻¹)."""
    sigma: float
    df_residual: int


@dataclass(frozen=True)
class AncovaResult:
    response: str
    treatment: str
    reference: str
    n: int
    n_by_arm: Mapping[str, int]
    df_residual: int
    sigma: float
    """Root mean squared error."""
    coefficients: tuple[Estimate, ...]
    lsmeans: tuple[Estimate, ...]
    """One per arm (label = arm), reference first."""
    differences: tuple[Estimate, ...]
    """Each compared arm minus the other (label "arm - against")."""
    confidence: float
    notes: tuple[str, ...]


def least_squares(x: FloatArray, y: FloatArray) -> LinearFit:
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residuals = y - x @ beta
    df = x.shape[0] - x.shape[1]
    sigma2 = float(residuals @ residuals / df) if df > 0 else float("nan")
    xtx_inv = np.linalg.inv(x.T @ x)
    return LinearFit(beta, sigma2 * xtx_inv, float(np.sqrt(sigma2)), df)


def ancova(data: Table, *, response: str, treatment: str, reference: str,
           factors: Sequence[str] = (), covariates: Sequence[str] = (),
           comparisons: Sequence[tuple[str, str]] | None = None,
           confidence: float = 0.95) -> AncovaResult:
    """``comparisons`` lists (arm, against) pairs; by default every arm against the
    reference."""
    frame = model_frame(data, treatment=treatment, reference=reference, factors=factors,
                        covariates=covariates, required=[response])
    y = data.numeric(response)[frame.used]
    fit = least_squares(frame.x, y)
    notes = frame.notes
    if fit.df_residual <= 0:
        notes += ("no residual degrees of freedom: standard errors are undefined",)
    df = float(fit.df_residual) if fit.df_residual > 0 else None
    return AncovaResult(
        response, treatment, reference, frame.n, _n_by_arm(frame, treatment),
        fit.df_residual, fit.sigma, _coefficients(frame, fit, df, confidence),
        *_arm_contrasts(frame, fit, treatment, comparisons, df, confidence), confidence, notes)


def _n_by_arm(frame: ModelFrame, treatment: str) -> dict[str, int]:
    arms = frame.values[treatment]
    return {arm: int(np.sum(arms == arm)) for arm in frame.design.factors[treatment]}


def _coefficients(frame: ModelFrame, fit: LinearFit, df: float | None,
                  confidence: float) -> tuple[Estimate, ...]:
    se = np.sqrt(np.diag(fit.covariance))
    return tuple(wald(name, float(b), float(s), df, confidence)
                 for name, b, s in zip(frame.design.column_names, fit.beta, se, strict=True))


def _arm_contrasts(frame: ModelFrame, fit: LinearFit, treatment: str,
                   comparisons: Sequence[tuple[str, str]] | None, df: float | None,
                   confidence: float) -> tuple[tuple[Estimate, ...], tuple[Estimate, ...]]:
    arms = frame.design.factors[treatment]
    pairs = check_pairs(comparisons, arms)
    rows = {arm: frame.design.mean_row({treatment: arm}, frame.covariate_means)
            for arm in arms}
    lsmeans = tuple(contrast(arm, rows[arm], fit, df, confidence) for arm in arms)
    differences = tuple(contrast(f"{arm} - {against}", rows[arm] - rows[against], fit, df,
                                 confidence) for arm, against in pairs)
    return lsmeans, differences


def contrast(label: str, row: FloatArray, fit: LinearFit, df: float | None,
             confidence: float) -> Estimate:
    estimate = float(row @ fit.beta)
    se = float(np.sqrt(row @ fit.covariance @ row))
    return wald(label, estimate, se, df, confidence)
