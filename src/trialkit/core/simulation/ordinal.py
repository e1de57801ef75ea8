"""An ordinal outcome with a proportional-odds treatment effect (the modified Rankin scale),
and a continuous score that recovers with it (NIHSS).

Each participant has a latent recovery L: standard logistic in the control arm, shifted by
log(OR) in the treated arm (OR > 1 favours treatment: lower, better categories). The
category is where L falls among the control distribution's cut points, so the control arm
has exactly the given distribution and every cumulative odds ratio between the arms is OR
(McCullagh 1980). The continuous score's change is linear in L plus noise: the two outcomes
of one participant are correlated as recovery makes them, and the treatment effect on the
score follows from OR (``score_shift``).

The ordinal analysis is the protocol's declared one, the analysis package's
``proportional_odds`` method run through its registry (``proportional_odds_test``): the
common odds ratio's Wald test, whose power Whitehead (Stat Med 1993;12:2257–2271) gives in
closed form (``whitehead_power``) — the known answer the tests compare the simulation with.
The Wilcoxon–Mann–Whitney test (``shift_test``; under proportional odds the model's score
test) stays for a scenario file that declares it as a sensitivity analysis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from trialkit.core.analysis.catalogue import method
from trialkit.core.analysis.ordinal import OrdinalResult
from trialkit.core.analysis.table import Table
from trialkit.core.simulation.fast_ancova import ancova_difference

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _distribution(control: Sequence[float]) -> FloatArray:
    p = np.asarray(control, dtype=float)
    if p.ndim != 1 or len(p) < 2 or np.any(p < 0) or abs(p.sum() - 1.0) > 1e-9:
        raise ValueError(f"control: {list(control)} is not a distribution over ≥ 2 categories")
    return p


def cut_points(control: Sequence[float]) -> FloatArray:
    """Logits of the control arm's cumulative probabilities P(Y ≤ k), k < K − 1."""
    cumulative = np.cumsum(_distribution(control))[:-1]
    return np.asarray(special.logit(np.clip(cumulative, 1e-12, 1 - 1e-12)), dtype=float)


def treated_distribution(control: Sequence[float], odds_ratio: float) -> FloatArray:
    """The treated arm's distribution: every cumulative odds P(Y ≤ k)/P(Y > k) times OR."""
    if odds_ratio <= 0:
        raise ValueError(f"odds_ratio: {odds_ratio} must be positive")
    cumulative = special.expit(cut_points(control) + math.log(odds_ratio))
    return np.diff(np.concatenate([[0.0], cumulative, [1.0]]))


def draw(rng: np.random.Generator, control: Sequence[float], odds_ratio: float,
         treated: npt.NDArray[np.bool_]) -> tuple[IntArray, FloatArray]:
    """(category, latent recovery) of each participant; ``treated`` marks the active arm.
    Larger latent values are worse outcomes (higher categories)."""
    latent = rng.logistic(size=len(treated)) - np.where(treated, math.log(odds_ratio), 0.0)
    return np.searchsorted(cut_points(control), latent).astype(np.int64), latent


def shift_test(active: npt.ArrayLike, control: npt.ArrayLike) -> float:
    """Two-sided p-value of the Wilcoxon–Mann–Whitney test (tie-corrected normal
    approximation)."""
    return float(stats.mannwhitneyu(active, control, alternative="two-sided",
                                    method="asymptotic", use_continuity=False).pvalue)


def proportional_odds_test(category: IntArray, active: npt.NDArray[np.bool_], categories: int,
                           confidence: float = 0.95) -> float:
    """Two-sided p-value of the common odds ratio (active against control) of the registry's
    ``proportional_odds`` method, the implementation a protocol's ordinal analysis runs on the
    real data; NaN when it is not estimable (separation, or one category observed). The
    Wald test of the odds ratio rather than the method's likelihood-ratio test: it is the test
    of the estimate and CI the analysis reports, and the one Whitehead's formula describes."""
    table = Table({"category": category.astype(float),
                   "arm": np.where(active, "simulated_active", "simulated_control").astype(object)})
    result: OrdinalResult = method("proportional_odds").run({"data": table}, {
        "response": "category", "treatment": "arm", "reference": "simulated_control",
        "levels": [str(k) for k in range(categories)], "confidence": confidence})
    if not result.odds_ratios or result.odds_ratios[0].p_value is None:
        return math.nan
    return float(result.odds_ratios[0].p_value)


def whitehead_power(control: Sequence[float], odds_ratio: float, n_active: int,
                    n_control: int, alpha: float = 0.05) -> float:
    """Power of the proportional-odds comparison: Var(log OR) = 3 (1/n_a + 1/n_c) /
    (1 − Σ p̄_k³), p̄ the allocation-weighted mean of the arms' distributions (Whitehead 1993,
    eq. 5 rearranged for power)."""
    treated = treated_distribution(control, odds_ratio)
    mean = (n_active * treated + n_control * _distribution(control)) / (n_active + n_control)
    se = math.sqrt(3 * (1 / n_active + 1 / n_control) / (1 - float(np.sum(mean ** 3))))
    z = abs(math.log(odds_ratio)) / se
    critical = float(stats.norm.isf(alpha / 2))
    return float(stats.norm.sf(critical - z) + stats.norm.cdf(-critical - z))


def score_shift(odds_ratio: float, slope: float) -> float:
    """The expected difference (treated − control) of a score linear in the latent recovery
    with this slope: the latent shift is −log(OR)."""
    return -slope * math.log(odds_ratio)


@dataclass(frozen=True)
class OrdinalTrials:
    """Operating characteristics of simulated trials with an ordinal primary outcome."""

    trials: int
    power_ordinal: float
    """P(reject) of the proportional-odds model's odds ratio (the type I error when
    OR = 1)."""
    power_shift: float
    """P(reject) of the Wilcoxon–Mann–Whitney shift test."""
    power_score: float
    """P(reject) of the continuous score's comparison (ANCOVA on its baseline)."""
    score_estimate: float
    """Mean estimated difference of the score's change (treated − control)."""
    score_truth: float

    def mcse(self, p: float) -> float:
        return math.sqrt(p * (1 - p) / self.trials)


def simulate_trials(rng: np.random.Generator, *, control: Sequence[float], odds_ratio: float,
                    n_active: int, n_control: int, trials: int, score_slope: float,
                    score_noise: float, score_baseline: tuple[float, float],
                    score_change: float, alpha: float = 0.05) -> OrdinalTrials:
    """``trials`` trials of ``n_active`` against ``n_control`` participants: the ordinal
    outcome compared by the proportional-odds model and by the shift test, the score's
    change (control mean ``score_change``, ``score_slope`` per unit of latent recovery,
    residual SD ``score_noise``; baseline normal (mean, SD) ``score_baseline``) by ANCOVA on
    the baseline."""
    treated = np.concatenate([np.ones(n_active, bool), np.zeros(n_control, bool)])
    ordinal_rejections, shift_rejections, score_rejections, estimates = 0, 0, 0, []
    for _ in range(trials):
        category, latent = draw(rng, control, odds_ratio, treated)
        ordinal_rejections += proportional_odds_test(category, treated, len(control),
                                                     1 - alpha) < alpha
        shift_rejections += shift_test(category[treated], category[~treated]) < alpha
        baseline = rng.normal(score_baseline[0], score_baseline[1], len(treated))
        # The standard logistic has mean 0: the control arm's mean change is score_change.
        change = (score_change + score_slope * latent
                  + rng.normal(0.0, score_noise, len(treated)))
        result = ancova_difference(change, treated, None, baseline, 1 - alpha)
        score_rejections += result.p_value < alpha
        estimates.append(result.estimate)
    return OrdinalTrials(trials, ordinal_rejections / trials, shift_rejections / trials,
                         score_rejections / trials, float(np.mean(estimates)),
                         score_shift(odds_ratio, score_slope))
