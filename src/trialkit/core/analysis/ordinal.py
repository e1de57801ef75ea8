"""Ordinal outcomes: the proportional-odds (cumulative logit) model and the distribution by arm.

The model is McCullagh's (1980), parametrised as R ``MASS::polr``:
logit P(Y ≤ k) = θ_k − xβ for the K − 1 cut points θ_1 < … < θ_{K−1}, x the arm's dummies,
factors and covariates (no intercept: the cut points take its place). A positive β moves the
distribution towards higher categories, so exp(β_arm) is the common odds ratio of a higher
category in the arm against the reference (for the modified Rankin scale, where 6 is death,
an odds ratio below 1 favours the arm). Maximum likelihood by Newton–Raphson with step
halving on the analytic gradient and Hessian; the log likelihood is concave in (θ, β)
(Pratt 1981), so the iteration finds the maximum whenever one exists. Wald z tests and CIs
from the observed information, as ``summary.polr``; the likelihood-ratio test of the arm
refits without it, as ``anova`` of two ``polr`` fits.

Edge cases, reported rather than raised:
- a category in ``levels`` that nobody is in has no cut point to estimate: it is left out of
  the model (the neighbouring cut points merge) and named in a note; it stays, with zeros, in
  the distribution table;
- fewer than two observed categories: nothing to model, only the distribution;
- separation (one arm's categories all at or beyond the other's, or a covariate that does the
  same): the likelihood has no maximum and the estimate runs off to infinity; the fit is
  declared separated when |β| passes 15 (an odds ratio beyond 3·10⁶) or the iteration does not
  settle, and the odds ratios are ``None`` with a note — the distribution says what happened.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from trialkit.core.analysis.frame import model_frame
from trialkit.core.analysis.groups import arm_order
from trialkit.core.analysis.results import Estimate, wald, wald_ratio
from trialkit.core.analysis.table import AnalysisInputError, Array, FloatArray, Table, missing

DIVERGED = 15.0
"""|β| beyond which a fit is taken as separated (the log odds ratio of a real trial is far
below; a separated fit reaches it within a few Newton steps)."""
MAX_ITERATIONS = 100


@dataclass(frozen=True)
class CategoryCount:
    category: str
    n: int
    percent: float | None


@dataclass(frozen=True)
class Distribution:
    """One arm's participants by category (every category of ``levels``, empty ones too)."""

    group: str
    n: int
    counts: tuple[CategoryCount, ...]


@dataclass(frozen=True)
class LikelihoodRatioTest:
    label: str
    statistic: float | None
    df: int
    p_value: float | None


@dataclass(frozen=True)
class OrdinalResult:
    response: str
    treatment: str
    reference: str
    n: int
    categories: tuple[str, ...]
    """Every category in order (``levels``), observed or not."""
    modelled: tuple[str, ...]
    """The categories the model has cut points between (the observed ones)."""
    distribution: tuple[Distribution, ...]
    odds_ratios: tuple[Estimate, ...]
    """Each arm against the reference: exp(β), odds of a higher category (label "arm vs
    reference"); empty when nothing could be estimated."""
    coefficients: tuple[Estimate, ...]
    """β on the log-odds scale, by design column."""
    thresholds: tuple[Estimate, ...]
    """The cut points θ_k ("a|b" between categories a and b, as polr's zeta)."""
    treatment_test: LikelihoodRatioTest | None
    log_likelihood: float | None
    converged: bool
    separated: bool
    confidence: float
    notes: tuple[str, ...]


@dataclass(frozen=True)
class CumulativeLogitFit:
    theta: FloatArray
    beta: FloatArray
    covariance: FloatArray | None
    """Inverse observed information of (θ, β); None when singular."""
    log_likelihood: float
    converged: bool
    separated: bool


def category_labels(values: Array) -> Array:
    """Categories as text: a whole number reads as an integer ("3", not "3.0")."""
    if values.dtype.kind == "f":
        return np.array(["" if math.isnan(v) else (str(int(v)) if float(v).is_integer()
                                                   else repr(float(v))) for v in values],
                        dtype=object)
    return np.array(["" if v is None else str(v) for v in values], dtype=object)


def proportional_odds(data: Table, *, response: str, treatment: str, reference: str,
                      levels: Sequence[str] | None = None,
                      factors: Mapping[str, str | None] | Sequence[str] = (),
                      covariates: Sequence[str] = (), arms: Sequence[str] | None = None,
                      confidence: float = 0.95) -> OrdinalResult:
    """``levels``: the categories from lowest to highest (default: the observed values in
    numeric, else text, order); a value outside them is an error, so a misspelt category
    cannot vanish."""
    categories_all = category_labels(data[response])
    notes: list[str] = []
    order = _levels(categories_all, levels, response)
    answered = ~missing(categories_all)
    if not answered.all():
        notes.append(f"{int((~answered).sum())} row(s) without '{response}' were left out")
    categories_all = categories_all[answered]
    frame = model_frame(data.where(answered), treatment=treatment, reference=reference,
                        factors=factors, covariates=covariates)
    notes += frame.notes
    y_text = categories_all[frame.used]
    arm_values = frame.values[treatment]
    shown = arm_order(arm_values, arms, reference)
    distribution = _distribution(y_text, arm_values, shown, order)
    observed = tuple(c for c in order if np.any(y_text == c))
    empty = [c for c in order if c not in observed]
    if empty:
        notes.append(f"no participant in categor{'y' if len(empty) == 1 else 'ies'} "
                     f"{', '.join(empty)}: left out of the model (no cut point to estimate)")

    def result(odds: tuple[Estimate, ...], coefficients: tuple[Estimate, ...],
               thresholds: tuple[Estimate, ...], test: LikelihoodRatioTest | None,
               fit: CumulativeLogitFit | None, separated: bool) -> OrdinalResult:
        return OrdinalResult(
            response, treatment, reference, frame.n, order, observed, distribution, odds,
            coefficients, thresholds, test, None if fit is None else fit.log_likelihood,
            fit is not None and fit.converged, separated, confidence, tuple(notes))

    if len(observed) < 2:
        notes.append("fewer than two observed categories: nothing to model")
        return result((), (), (), None, None, False)
    y = np.array([observed.index(v) for v in y_text])
    x = frame.x[:, 1:]  # the cut points replace the intercept
    names = frame.design.column_names[1:]
    fit = fit_cumulative_logit(y, x, len(observed))
    arm_columns = [j for j, name in enumerate(names) if name.startswith(f"{treatment}=")]
    test = _treatment_test(y, x, fit, arm_columns, len(observed))
    if fit.separated or fit.covariance is None:
        notes.append("separation: the categories of the arms (or of a covariate) do not "
                      "overlap enough for the likelihood to have a maximum; the odds ratio is "
                      "not estimable (see the distribution)")
        return result((), (), (), test, fit, True)
    k = len(observed) - 1
    se = np.sqrt(np.diag(fit.covariance))
    thresholds = tuple(wald(f"{observed[i]}|{observed[i + 1]}", float(fit.theta[i]),
                            float(se[i]), None, confidence) for i in range(k))
    coefficients = tuple(wald(name, float(b), float(s), None, confidence)
                         for name, b, s in zip(names, fit.beta, se[k:], strict=True))
    odds = tuple(wald_ratio(f"{names[j].split('=', 1)[1]} vs {reference}",
                            float(fit.beta[j]), float(se[k + j]), confidence)
                 for j in arm_columns)
    return result(odds, coefficients, thresholds, test, fit, False)


def _levels(values: Array, levels: Sequence[str] | None, response: str) -> tuple[str, ...]:
    present = {str(v) for v in values[~missing(values)]}
    if levels is None:
        def key(v: str) -> tuple[int, float, str]:
            try:
                return (0, float(v), v)
            except ValueError:
                return (1, 0.0, v)
        return tuple(sorted(present, key=key))
    unknown = sorted(present - set(levels))
    if unknown:
        raise AnalysisInputError(f"'{response}' holds value(s) {', '.join(unknown)} not "
                                 f"among the levels {list(levels)}")
    return tuple(levels)


def _distribution(y: Array, arms: Array, shown: Sequence[str], order: Sequence[str]
                  ) -> tuple[Distribution, ...]:
    rows = []
    for arm in shown:
        in_arm = y[arms == arm]
        total = len(in_arm)
        rows.append(Distribution(arm, total, tuple(
            CategoryCount(c, int(np.sum(in_arm == c)),
                          100 * float(np.sum(in_arm == c)) / total if total else None)
            for c in order)))
    return tuple(rows)


def _treatment_test(y: Array, x: FloatArray, fit: CumulativeLogitFit, arm_columns: list[int],
                    categories: int) -> LikelihoodRatioTest | None:
    """2 (ℓ_full − ℓ_without the arm), χ² on the arm's df, as ``anova(polr0, polr1)``."""
    if not arm_columns:
        return None
    keep = [j for j in range(x.shape[1]) if j not in arm_columns]
    reduced = fit_cumulative_logit(y, x[:, keep], categories)
    df = len(arm_columns)
    if fit.separated or reduced.separated:
        return LikelihoodRatioTest("arm", None, df, None)
    statistic = max(2 * (fit.log_likelihood - reduced.log_likelihood), 0.0)
    return LikelihoodRatioTest("arm", statistic, df, float(stats.chi2.sf(statistic, df)))


def fit_cumulative_logit(y: Array, x: FloatArray, categories: int) -> CumulativeLogitFit:
    """ML fit of logit P(Y ≤ k) = θ_k − xβ; ``y`` holds category indexes 0 … K − 1, each
    observed at least once."""
    n, p = x.shape
    k = categories - 1
    cumulative = np.cumsum(np.bincount(y, minlength=categories))[:-1] / n
    params = np.concatenate([special.logit(cumulative), np.zeros(p)])
    current = _log_likelihood(params, y, x, k)
    converged = False
    for _ in range(MAX_ITERATIONS):
        gradient, hessian = _derivatives(params, y, x, k)
        try:
            step = np.linalg.solve(-hessian, gradient)
        except np.linalg.LinAlgError:
            break
        scale = 1.0
        while scale > 1e-10:
            trial = params + scale * step
            value = _log_likelihood(trial, y, x, k)
            if np.all(np.diff(trial[:k]) > 0) and value >= current - 1e-12:
                break
            scale /= 2
        else:
            break
        change = value - current
        params, current = trial, value
        if np.max(np.abs(scale * step)) < 1e-10 or (abs(change) < 1e-13 and
                                                   np.max(np.abs(gradient)) < 1e-8):
            converged = True
            break
        if p and np.max(np.abs(params[k:])) > 2 * DIVERGED:
            break
    beta = params[k:]
    separated = not converged or bool(p and np.max(np.abs(beta)) > DIVERGED)
    _, hessian = _derivatives(params, y, x, k)
    covariance: FloatArray | None = None
    try:
        inverse = np.linalg.inv(-hessian)
        if np.all(np.isfinite(inverse)) and np.all(np.diag(inverse) > 0):
            covariance = inverse
    except np.linalg.LinAlgError:
        pass  # a singular information matrix: no SEs, reported as separation
    return CumulativeLogitFit(params[:k], beta, covariance, current, converged, separated)


def _bounds(params: FloatArray, y: Array, x: FloatArray, k: int
            ) -> tuple[FloatArray, FloatArray]:
    """Upper and lower linear predictors θ_y − η and θ_{y−1} − η (±inf at the ends)."""
    theta = np.concatenate([[-np.inf], params[:k], [np.inf]])
    eta = x @ params[k:]
    return theta[y + 1] - eta, theta[y] - eta


def _log_likelihood(params: FloatArray, y: Array, x: FloatArray, k: int) -> float:
    upper, lower = _bounds(params, y, x, k)
    # P = F(a) − F(b) computed on the side where it does not cancel: for both limits high,
    # S(b) − S(a) with S = 1 − F
    high = lower > 0
    prob = np.where(high, special.expit(-lower) - special.expit(-upper),
                    special.expit(upper) - special.expit(lower))
    if np.any(prob <= 0):
        return -math.inf
    return float(np.sum(np.log(prob)))


def _derivatives(params: FloatArray, y: Array, x: FloatArray, k: int
                 ) -> tuple[FloatArray, FloatArray]:
    n, p = x.shape
    upper, lower = _bounds(params, y, x, k)
    fa, fb = special.expit(upper), special.expit(lower)
    da, db = fa * (1 - fa), fb * (1 - fb)  # logistic densities (0 at ±inf)
    d2a, d2b = da * (1 - 2 * fa), db * (1 - 2 * fb)
    high = lower > 0
    prob = np.where(high, special.expit(-lower) - special.expit(-upper), fa - fb)
    prob = np.maximum(prob, 1e-300)
    ga, gb = da / prob, -db / prob
    haa = d2a / prob - ga ** 2
    hbb = -d2b / prob - gb ** 2
    hab = -ga * gb
    rows = np.arange(n)
    a = np.zeros((n, k + p))
    b = np.zeros((n, k + p))
    top, bottom = y < k, y > 0
    a[rows[top], y[top]] = 1.0
    b[rows[bottom], y[bottom] - 1] = 1.0
    a[:, k:] = -x
    b[:, k:] = -x
    gradient = a.T @ ga + b.T @ gb
    hessian = (a.T * haa) @ a + (b.T * hbb) @ b + (a.T * hab) @ b + (b.T * hab) @ a
    return gradient, hessian
