"""Event counts with exposure: negative binomial, Poisson, quasi-Poisson, robust Poisson.

The rate of each participant is exp(xᵀβ) per unit of exposure (follow-up in years for an
annualized relapse rate, number of scans for MRI lesions): log(exposure) is an offset and
exp(β_arm) is the rate ratio against the reference arm.

- ``negative_binomial``: NB2 (Var = μ + μ²/θ) by maximum likelihood, θ profiled (the
  joint MLE that R ``MASS::glm.nb`` reaches by alternation). SEs of β are those of the GLM
  at θ̂ (``summary.negbin``), Wald z. Small trials often show no overdispersion: when the
  Poisson fit is not overdispersed (Σ[(y − μ̂)² − y] ≤ 0, the score for 1/θ at 0, Cameron &
  Trivedi 1990), or θ̂ runs off to infinity, or the NB fit fails, the Poisson fit is
  reported instead and a note says so (``fallback=True``). R's ``glm.nb`` meets the same
  data with "iteration limit reached" and a huge θ, i.e. the same Poisson estimates.
- ``poisson`` with ``variance``: ``"model"`` (Wald z), ``"quasi"`` (SEs scaled by √φ,
  φ = Pearson χ²/(n − p), t on n − p df, as R's ``quasipoisson``), or ``"robust"`` (HC0
  sandwich, z), the sensitivity analyses.

An arm with no events has a rate ratio of 0 (or ∞ against it) and no Wald inference; no
events at all leave nothing to model. Both are reported with notes, not errors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize

from trialkit.core.analysis import glm
from trialkit.core.analysis.frame import ModelFrame, model_frame
from trialkit.core.analysis.groups import check_pairs
from trialkit.core.analysis.results import Estimate, wald, wald_ratio
from trialkit.core.analysis.table import AnalysisInputError, FloatArray, Table

Variance = Literal["model", "quasi", "robust"]
THETA_LIMIT = 1e6
"""θ̂ above this is "infinite" (Var − μ below 1e-6·μ² at any rate we meet): Poisson."""


@dataclass(frozen=True)
class ArmRate:
    arm: str
    events: int
    exposure: float
    crude_rate: float | None


@dataclass(frozen=True)
class CountResult:
    model: str
    """What was fitted: "negative binomial", "poisson", "quasi-poisson", "poisson (robust)"."""
    fallback: bool
    """True when a negative binomial was asked for and a Poisson fit is reported."""
    response: str
    treatment: str
    reference: str
    exposure: str | None
    n: int
    theta: float | None
    """NB dispersion θ (Var = μ + μ²/θ); ``None`` for Poisson fits."""
    theta_se: float | None
    dispersion: float | None
    """Quasi-Poisson φ."""
    log_likelihood: float | None
    coefficients: tuple[Estimate, ...]
    rate_ratios: tuple[Estimate, ...]
    rates: tuple[Estimate, ...]
    """Model rate per unit exposure by arm (other factors averaged, covariates at mean)."""
    arms: tuple[ArmRate, ...]
    confidence: float
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _Data:
    frame: ModelFrame
    y: FloatArray
    offset: FloatArray
    exposure: FloatArray
    notes: tuple[str, ...]


def _prepare(data: Table, response: str, treatment: str, reference: str,
             exposure: str | None, factors: Mapping[str, str | None] | Sequence[str],
             covariates: Sequence[str]) -> _Data:
    notes: tuple[str, ...] = ()
    if exposure is not None:
        amount = data.numeric(exposure)
        bad = ~(amount > 0) & ~np.isnan(amount)
        if bad.any():
            if bad.all():
                raise AnalysisInputError(f"no row with '{exposure}' > 0 (no follow-up or no "
                                         f"scan yet)")
            notes += (f"{int(bad.sum())} row(s) with '{exposure}' ≤ 0 were left out",)
            data = data.where(~bad)
    required = [response] if exposure is None else [response, exposure]
    frame = model_frame(data, treatment=treatment, reference=reference, factors=factors,
                        covariates=covariates, required=required)
    y = data.numeric(response)[frame.used]
    if np.any(y < 0) or np.any(y != np.round(y)):
        raise AnalysisInputError(f"'{response}' must hold counts (whole numbers ≥ 0)")
    time = (data.numeric(exposure)[frame.used] if exposure is not None
            else np.ones(frame.n))
    return _Data(frame, y, np.log(time), time, notes + frame.notes)


def negative_binomial(data: Table, *, response: str, treatment: str, reference: str,
                      exposure: str | None = None,
                      factors: Mapping[str, str | None] | Sequence[str] = (),
                      covariates: Sequence[str] = (),
                      comparisons: Sequence[tuple[str, str]] | None = None,
                      confidence: float = 0.95) -> CountResult:
    prepared = _prepare(data, response, treatment, reference, exposure, factors, covariates)
    args = (prepared, response, treatment, reference, exposure, comparisons, confidence)
    if prepared.y.sum() == 0:
        return _empty(*args)
    poisson_fit = glm.fit(prepared.frame.x, prepared.y, prepared.offset)
    residuals = prepared.y - poisson_fit.mu
    if float(np.sum(residuals ** 2 - prepared.y)) <= 0:
        return _poisson_fallback(args, poisson_fit, "the counts are not overdispersed "
                                 "(negative binomial θ̂ → ∞); a Poisson model was fitted")
    theta, nb_fit = _profile_theta(prepared, poisson_fit)
    if nb_fit is None or theta > THETA_LIMIT:
        reason = ("the negative binomial fit failed" if nb_fit is None else
                  f"the negative binomial dispersion collapsed (θ̂ = {theta:.3g} → ∞)")
        return _poisson_fallback(args, poisson_fit, reason + "; a Poisson model was fitted")
    information = glm.theta_information(prepared.y, nb_fit.mu, theta)
    theta_se = 1 / math.sqrt(information) if information > 0 else None
    return _result(args, "negative binomial", False, nb_fit, nb_fit.information_inverse,
                   None, (theta, theta_se),
                   glm.nb_log_likelihood(prepared.y, nb_fit.mu, theta), ())


def _profile_theta(prepared: _Data, poisson_fit: glm.GlmFit
                   ) -> tuple[float, glm.GlmFit | None]:
    """θ̂ maximising the profile likelihood over log θ (bounded Brent); IRLS at each θ."""
    x, y, offset = prepared.frame.x, prepared.y, prepared.offset

    def minus_profile(log_theta: float) -> float:
        fitted = glm.fit(x, y, offset, math.exp(log_theta), start=poisson_fit.mu)
        if not fitted.converged:
            return math.inf
        return -glm.nb_log_likelihood(y, fitted.mu, math.exp(log_theta))

    found = optimize.minimize_scalar(minus_profile, bounds=(math.log(1e-4),
                                     math.log(10 * THETA_LIMIT)), method="bounded",
                                     options={"xatol": 1e-10})
    theta = math.exp(float(found.x))
    final = glm.fit(x, y, offset, theta, start=poisson_fit.mu)
    return theta, final if final.converged and math.isfinite(float(found.fun)) else None


def _poisson_fallback(args: tuple[_Data, str, str, str, str | None,
                                  Sequence[tuple[str, str]] | None, float],
                      fitted: glm.GlmFit, note: str) -> CountResult:
    prepared = args[0]
    if not fitted.converged:
        return _empty(*args, note="neither the negative binomial nor the Poisson fit "
                      "converged")
    return _result(args, "poisson", True, fitted, fitted.information_inverse, None,
                   (None, None), glm.poisson_log_likelihood(prepared.y, fitted.mu), (note,))


def poisson(data: Table, *, response: str, treatment: str, reference: str,
            exposure: str | None = None,
            factors: Mapping[str, str | None] | Sequence[str] = (),
            covariates: Sequence[str] = (), variance: Variance = "model",
            comparisons: Sequence[tuple[str, str]] | None = None,
            confidence: float = 0.95) -> CountResult:
    prepared = _prepare(data, response, treatment, reference, exposure, factors, covariates)
    args = (prepared, response, treatment, reference, exposure, comparisons, confidence)
    if prepared.y.sum() == 0:
        return _empty(*args)
    fitted = glm.fit(prepared.frame.x, prepared.y, prepared.offset)
    if not fitted.converged:
        return _empty(*args, note="the Poisson fit did not converge")
    loglik = glm.poisson_log_likelihood(prepared.y, fitted.mu)
    if variance == "robust":
        covariance = glm.sandwich(prepared.frame.x, prepared.y, fitted)
        return _result(args, "poisson (robust)", False, fitted, covariance, None,
                       (None, None), loglik, ())
    if variance == "quasi":
        n, p = prepared.frame.x.shape
        phi = float(np.sum((prepared.y - fitted.mu) ** 2 / fitted.mu) / (n - p))
        return _result(args, "quasi-poisson", False, fitted,
                       phi * fitted.information_inverse, phi, (None, None), None, ())
    return _result(args, "poisson", False, fitted, fitted.information_inverse, None,
                   (None, None), loglik, ())


def _result(args: tuple[_Data, str, str, str, str | None,
                        Sequence[tuple[str, str]] | None, float],
            model: str, fallback: bool, fitted: glm.GlmFit, covariance: FloatArray,
            dispersion: float | None, theta: tuple[float | None, float | None],
            loglik: float | None, notes: tuple[str, ...]) -> CountResult:
    prepared, response, treatment, reference, exposure, comparisons, confidence = args
    frame = prepared.frame
    n, p = frame.x.shape
    df = float(n - p) if dispersion is not None else None
    names = frame.design.column_names
    se = np.sqrt(np.diag(covariance))
    coefficients = tuple(wald(name, float(b), float(s), df, confidence)
                         for name, b, s in zip(names, fitted.beta, se, strict=True))
    arms = _arm_rates(prepared, treatment)
    silent = {a.arm for a in arms if a.events == 0}
    ratios, rates = _contrasts(frame, fitted.beta, covariance, treatment, comparisons, df,
                               confidence, silent)
    notes += tuple(f"arm '{arm}' has no events: its rate ratios are 0 or infinite and have "
                   "no Wald confidence interval or p-value" for arm in sorted(silent))
    return CountResult(model, fallback, response, treatment, reference, exposure, n,
                       theta[0], theta[1], dispersion, loglik, coefficients, ratios, rates,
                       arms, confidence, prepared.notes + notes)


def _contrasts(frame: ModelFrame, beta: FloatArray, covariance: FloatArray, treatment: str,
               comparisons: Sequence[tuple[str, str]] | None, df: float | None,
               confidence: float, silent: set[str]
               ) -> tuple[tuple[Estimate, ...], tuple[Estimate, ...]]:
    arms = frame.design.factors[treatment]
    rows = {arm: frame.design.mean_row({treatment: arm}, frame.covariate_means)
            for arm in arms}

    def ratio(label: str, row: FloatArray, involved: set[str]) -> Estimate:
        if involved & silent:
            log = float(row @ beta)
            value = 0.0 if log < 0 else math.inf
            return Estimate(label, value, None, None, None, df, None, None)
        return wald_ratio(label, float(row @ beta), float(np.sqrt(row @ covariance @ row)),
                          confidence, df)

    ratios = tuple(ratio(f"{arm} / {against}", rows[arm] - rows[against], {arm, against})
                   for arm, against in check_pairs(comparisons, arms))
    rates = tuple(ratio(arm, rows[arm], {arm}) for arm in arms)
    return ratios, rates


def _arm_rates(prepared: _Data, treatment: str) -> tuple[ArmRate, ...]:
    values = prepared.frame.values[treatment]
    result = []
    for arm in prepared.frame.design.factors[treatment]:
        rows = values == arm
        events, exposure = int(prepared.y[rows].sum()), float(prepared.exposure[rows].sum())
        result.append(ArmRate(arm, events, exposure, events / exposure if exposure else None))
    return tuple(result)


def _empty(prepared: _Data, response: str, treatment: str, reference: str,
           exposure: str | None, comparisons: Sequence[tuple[str, str]] | None,
           confidence: float, note: str = "no events in any arm: there is nothing to "
           "model") -> CountResult:
    return CountResult("none", False, response, treatment, reference, exposure,
                       prepared.frame.n, None, None, None, None, (), (), (),
                       _arm_rates(prepared, treatment), confidence, (*prepared.notes, note))
