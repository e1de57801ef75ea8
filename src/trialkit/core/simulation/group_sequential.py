"""Group-sequential designs for a two-arm comparison of means: O'Brien–Fleming boundaries and
their simulated operating characteristics, as rpact computes them.

``obrien_fleming`` finds the one-sided critical values c_k = C / sqrt(t_k) (t_k the
information fraction at look k) whose overall type I error is alpha, with the joint normal
distribution of the looks' statistics (corr(Z_i, Z_j) = sqrt(t_i / t_j)) from scipy's
multivariate normal. Futility bounds are non-binding, as rpact's default: they do not change
the critical values.

``simulate_means`` simulates the patients of each look (normal responses, 1:1), tests the
cumulative data with the pooled two-sample t test, turns t into a normal score through the t
distribution on n - 2 df (rpact's ``normalApproximation = FALSE``), and stops for efficacy at
c_k or for futility at the futility bound. It reproduces rpact's ``getSimulationMeans``
example of shared/reference-data/README.md within Monte Carlo error (docs/simulation.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class GroupSequentialDesign:
    critical: tuple[float, ...]
    """One-sided efficacy critical values on the z scale, one per look."""
    futility: tuple[float, ...]
    """Futility bounds on the z scale for the looks before the last (non-binding)."""
    information: tuple[float, ...]
    alpha: float


def obrien_fleming(k_max: int, alpha: float = 0.025,
                   information: Sequence[float] | None = None,
                   futility: Sequence[float] = ()) -> GroupSequentialDesign:
    """O'Brien–Fleming design with ``k_max`` looks (equally spaced information by default)."""
    if k_max < 1 or not 0 < alpha < 0.5:
        raise ValueError("k_max must be at least 1 and alpha in (0, 0.5)")
    t = np.asarray(information if information is not None
                   else np.arange(1, k_max + 1) / k_max, dtype=float)
    if len(t) != k_max or np.any(np.diff(t) <= 0) or t[-1] != 1.0:
        raise ValueError("information: increasing fractions ending at 1, one per look")
    if len(futility) not in (0, k_max - 1):
        raise ValueError("futility: one bound per look before the last")
    if k_max == 1:
        c = float(stats.norm.isf(alpha))
        return GroupSequentialDesign((c,), (), (1.0,), alpha)
    constant = optimize.brentq(lambda c: _type_one(c, t) - alpha, 1.0, 10.0, xtol=1e-10)
    critical = tuple(float(constant / np.sqrt(tk)) for tk in t)
    return GroupSequentialDesign(critical, tuple(float(f) for f in futility),
                                 tuple(float(x) for x in t), alpha)


def _type_one(constant: float, t: FloatArray) -> float:
    covariance = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    # Tight tolerances and a fixed QMC stream: the boundary is reproducible to ~1e-6.
    joint = stats.multivariate_normal(np.zeros(len(t)), covariance, maxpts=300_000,
                                      abseps=1e-9, releps=1e-9)
    below = joint.cdf(constant / np.sqrt(t), rng=np.random.default_rng(0))
    return float(1.0 - below)


@dataclass(frozen=True)
class MeansSimulation:
    rejection: float
    early_stop: float
    futility_stop: float
    expected_subjects: float
    rejection_by_look: tuple[float, ...]
    iterations: int

    def mcse(self, value: float) -> float:
        return float(np.sqrt(value * (1 - value) / self.iterations))


def simulate_means(design: GroupSequentialDesign, alternative: float, st_dev: float,
                   planned_subjects: Sequence[int], iterations: int,
                   rng: np.random.Generator) -> MeansSimulation:
    """Operating characteristics of a two-arm, 1:1 comparison of means (H1: treated − control
    = ``alternative``); ``planned_subjects`` are cumulative totals over both arms."""
    cumulative = np.asarray(planned_subjects, dtype=int)
    if len(cumulative) != len(design.critical) or np.any(np.diff(cumulative) <= 0):
        raise ValueError("planned_subjects: increasing cumulative totals, one per look")
    scores = _patient_scores(cumulative, alternative, st_dev, iterations, rng)
    return _decide(design, scores, cumulative)


def _patient_scores(cumulative: npt.NDArray[np.int_], alternative: float, st_dev: float,
                    iterations: int, rng: np.random.Generator) -> FloatArray:
    per_arm = cumulative // 2
    treated = rng.normal(alternative, st_dev, (iterations, int(per_arm[-1])))
    control = rng.normal(0.0, st_dev, (iterations, int(per_arm[-1])))
    scores = np.empty((iterations, len(cumulative)))
    for k, n in enumerate(per_arm):
        a, b = treated[:, :n], control[:, :n]
        pooled = np.sqrt((a.var(axis=1, ddof=1) + b.var(axis=1, ddof=1)) / 2)
        t = (a.mean(axis=1) - b.mean(axis=1)) / (pooled * np.sqrt(2.0 / n))
        scores[:, k] = stats.norm.ppf(stats.t.cdf(t, 2 * n - 2))
    return scores


def _decide(design: GroupSequentialDesign, scores: FloatArray,
            cumulative: npt.NDArray[np.int_]) -> MeansSimulation:
    iterations, looks = scores.shape
    going = np.ones(iterations, dtype=bool)
    rejected_at = np.zeros(looks)
    futile = 0.0
    subjects = np.zeros(iterations)
    for k in range(looks):
        subjects[going] = cumulative[k]
        reject = going & (scores[:, k] >= design.critical[k])
        rejected_at[k] = reject.sum()
        going &= ~reject
        if k < looks - 1 and design.futility:
            stop = going & (scores[:, k] <= design.futility[k])
            futile += stop.sum()
            going &= ~stop
    early = (rejected_at[:-1].sum() + futile) / iterations
    return MeansSimulation(float(rejected_at.sum() / iterations), float(early),
                           float(futile / iterations), float(subjects.mean()),
                           tuple(float(x / iterations) for x in rejected_at), iterations)
