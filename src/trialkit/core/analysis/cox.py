"""Cox proportional hazards with Efron's ties, optionally stratified (Cox 1972; Efron 1977).

The partial likelihood over distinct event times t, with D the d participants failing at t
and R those at risk, under Efron's approximation:

    l(β) = Σ_t [ Σ_{i∈D} xᵢβ − Σ_{l=0}^{d−1} log( Σ_R e^{xβ} − (l/d) Σ_D e^{xβ} ) ],

maximised by Newton–Raphson from β = 0 with step halving, stopping when the relative
change of l is below 1e-10 (R ``coxph`` uses 1e-9). Strata have their own baseline hazard
(risk sets within stratum). Reported: log hazard ratios with model-based SEs and Wald z
tests, hazard ratios for each arm against the reference with Wald CIs on the log scale, and
the likelihood-ratio, Wald and score tests of all coefficients together, as R
``summary.coxph`` prints them.

Monotone likelihood: an arm with no events (all censored) has a hazard ratio of 0 or ∞; the
partial likelihood then has no maximum. Such ratios are reported as 0 or ∞ without CI or
p-value, with a note, instead of a huge coefficient with a meaningless SE.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from trialkit.core.analysis.frame import ModelFrame, model_frame
from trialkit.core.analysis.groups import check_pairs
from trialkit.core.analysis.logrank import strata_codes
from trialkit.core.analysis.results import Estimate, wald, wald_ratio
from trialkit.core.analysis.survival import survival_data
from trialkit.core.analysis.table import AnalysisInputError, FloatArray, Table


@dataclass(frozen=True)
class GlobalTest:
    statistic: float
    df: int
    p_value: float


@dataclass(frozen=True)
class CoxResult:
    treatment: str
    reference: str
    n: int
    events: int
    coefficients: tuple[Estimate, ...]
    """Log hazard ratios, Wald z."""
    hazard_ratios: tuple[Estimate, ...]
    log_likelihood: float
    null_log_likelihood: float
    likelihood_ratio: GlobalTest
    wald: GlobalTest
    score: GlobalTest
    converged: bool
    iterations: int
    confidence: float
    notes: tuple[str, ...]


def partial_likelihood(beta: FloatArray, x: FloatArray, times: FloatArray,
                       events: FloatArray, strata: FloatArray
                       ) -> tuple[float, FloatArray, FloatArray]:
    """l(β), its gradient and its Hessian under Efron's ties."""
    p = x.shape[1]
    value, gradient, hessian = 0.0, np.zeros(p), np.zeros((p, p))
    risk = np.exp(x @ beta)
    for key in np.unique(strata):
        rows = strata == key
        xs, ts, es, rs = x[rows], times[rows], events[rows].astype(bool), risk[rows]
        for t in np.unique(ts[es]):
            at_risk, died = ts >= t, (ts == t) & es
            parts = _efron_terms(xs, rs, at_risk, died)
            value += parts[0]
            gradient += parts[1]
            hessian += parts[2]
    return value, gradient, hessian


def _efron_terms(x: FloatArray, risk: FloatArray, at_risk: FloatArray, died: FloatArray
                 ) -> tuple[float, FloatArray, FloatArray]:
    weighted = x * risk[:, None]
    s0, s1 = risk[at_risk].sum(), weighted[at_risk].sum(axis=0)
    s2 = weighted[at_risk].T @ x[at_risk]
    d0, d1 = risk[died].sum(), weighted[died].sum(axis=0)
    d2 = weighted[died].T @ x[died]
    d = int(died.sum())
    value = float(np.log(risk[died]).sum())
    gradient, hessian = x[died].sum(axis=0), np.zeros((x.shape[1], x.shape[1]))
    for step in range(d):
        share = step / d
        a0, a1, a2 = s0 - share * d0, s1 - share * d1, s2 - share * d2
        value -= math.log(a0)
        gradient = gradient - a1 / a0
        hessian -= a2 / a0 - np.outer(a1, a1) / (a0 * a0)
    return value, gradient, hessian


def _newton(x: FloatArray, times: FloatArray, events: FloatArray, strata: FloatArray
            ) -> tuple[FloatArray, float, FloatArray, bool, int]:
    beta = np.zeros(x.shape[1])
    value, gradient, hessian = partial_likelihood(beta, x, times, events, strata)
    for iteration in range(1, 51):
        step = np.linalg.solve(-hessian, gradient)
        for scale in (1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125):
            trial = beta + scale * step
            new = partial_likelihood(trial, x, times, events, strata)
            if new[0] >= value - 1e-12 * abs(value):
                break
        done = abs(new[0] - value) <= 1e-10 * max(1.0, abs(value))
        beta, (value, gradient, hessian) = trial, new
        if done:
            return beta, value, hessian, True, iteration
    return beta, value, hessian, False, 50


@dataclass(frozen=True)
class _Data:
    frame: ModelFrame
    x: FloatArray
    times: FloatArray
    events: FloatArray
    strata: FloatArray
    notes: tuple[str, ...]


def _prepare(data: Table, treatment: str, reference: str, time: str, censor: str,
             factors: Mapping[str, str | None] | Sequence[str], covariates: Sequence[str],
             strata: Sequence[str]) -> _Data:
    data, notes = survival_data(data, time, censor, list(strata))
    frame = model_frame(data, treatment=treatment, reference=reference, factors=factors,
                        covariates=covariates, required=[time, censor])
    events = (data.numeric(censor)[frame.used] == 0).astype(float)
    if events.sum() == 0:
        raise AnalysisInputError("no events: a Cox model cannot be fitted")
    return _Data(frame, frame.x[:, 1:], data.numeric(time)[frame.used], events,
                 strata_codes(data.where(frame.used), strata), notes + frame.notes)


def cox(data: Table, *, treatment: str, reference: str, time: str = "AVAL",
        censor: str = "CNSR", factors: Mapping[str, str | None] | Sequence[str] = (),
        covariates: Sequence[str] = (), strata: Sequence[str] = (),
        comparisons: Sequence[tuple[str, str]] | None = None,
        confidence: float = 0.95) -> CoxResult:
    d = _prepare(data, treatment, reference, time, censor, factors, covariates, strata)
    beta, value, hessian, converged, iterations = _newton(d.x, d.times, d.events, d.strata)
    covariance = np.linalg.pinv(-hessian)
    se = np.sqrt(np.diag(covariance))
    names = d.frame.design.column_names[1:]
    silent = _silent_arms(d.frame.values[treatment], d.events,
                          d.frame.design.factors[treatment])
    notes = d.notes + tuple(
        f"arm '{arm}' has no events: its hazard ratios are 0 or infinite (monotone "
        "likelihood) and have no Wald confidence interval or p-value" for arm in sorted(silent))
    notes += () if converged else ("the Newton-Raphson iterations did not converge",)
    null = partial_likelihood(np.zeros(len(beta)), d.x, d.times, d.events, d.strata)
    return CoxResult(
        treatment, reference, len(d.times), int(d.events.sum()),
        tuple(wald(n, float(b), float(s), None, confidence)
              for n, b, s in zip(names, beta, se, strict=True)),
        _hazard_ratios(d.frame, treatment, beta, covariance, comparisons, confidence, silent),
        value, null[0], *_global_tests(beta, value, covariance, null), converged,
        iterations, confidence, notes)


def _hazard_ratios(frame: ModelFrame, treatment: str, beta: FloatArray,
                   covariance: FloatArray, comparisons: Sequence[tuple[str, str]] | None,
                   confidence: float, silent: set[str]) -> tuple[Estimate, ...]:
    arms = frame.design.factors[treatment]
    rows = {arm: frame.design.mean_row({treatment: arm}, frame.covariate_means)[1:]
            for arm in arms}
    return tuple(_ratio(f"{arm} / {against}", rows[arm] - rows[against], beta, covariance,
                        confidence, {arm, against} & silent)
                 for arm, against in check_pairs(comparisons, arms))


def _global_tests(beta: FloatArray, value: float, covariance: FloatArray,
                  null: tuple[float, FloatArray, FloatArray]
                  ) -> tuple[GlobalTest, GlobalTest, GlobalTest]:
    """Likelihood ratio, Wald and score (at β = 0) tests of all coefficients."""
    k = len(beta)
    null_value, null_gradient, null_hessian = null
    return (_chi2(2 * (value - null_value), k),
            _chi2(float(beta @ np.linalg.pinv(covariance) @ beta), k),
            _chi2(float(null_gradient @ np.linalg.pinv(-null_hessian) @ null_gradient), k))


def _silent_arms(arms: FloatArray, events: FloatArray, levels: Sequence[str]) -> set[str]:
    return {arm for arm in levels if events[arms == arm].sum() == 0}


def _ratio(label: str, row: FloatArray, beta: FloatArray, covariance: FloatArray,
           confidence: float, silent: set[str]) -> Estimate:
    log = float(row @ beta)
    if silent:
        return Estimate(label, 0.0 if log < 0 else math.inf, None, None, None, None, None,
                        None)
    return wald_ratio(label, log, float(np.sqrt(row @ covariance @ row)), confidence)


def _chi2(statistic: float, df: int) -> GlobalTest:
    return GlobalTest(statistic, df, float(stats.chi2.sf(statistic, df)))
