"""A two-period, two-sequence crossover (AB/BA) with within-participant correlation.

Continuous outcome (Jones & Kenward, Design and Analysis of Cross-Over Trials, 3rd ed.,
ch. 2): y_ij = μ + s_i + π_j + τ d_ij + e_ij with a participant effect s_i ~ N(0, ρσ²) and
e_ij ~ N(0, (1 − ρ)σ²), so two periods of one participant correlate by ρ; π_2 − π_1 is the
period effect, d_ij = 1 in the period on the active treatment; no carry-over (the protocol's
reading of its washout). The treatment effect is estimated from the within-participant
period differences: τ̂ = (mean difference in AB − mean difference in BA) / 2, tested by the
two-sample t test on n_AB + n_BA − 2 degrees of freedom; its power is exactly a noncentral t
probability (``crossover_power``), the known answer of the tests.

Lesion counts (the crossover MS trial's GELs): a participant's count over a period's scans is
Poisson(scans · rate · u_i · RR^{d_ij} · π^{[j = 2]}), u_i ~ Gamma(k, 1/k) shared by both
periods (the within-participant correlation). Two analyses follow the protocol: the declared
primary compares the sequences on the first period's counts by the negative binomial
regression of ``trialkit.core.analysis`` (a parallel comparison: only period 1 is
randomized to differ), and the within-participant comparison conditions on each participant's
total: the period-1 share of counts is binomial with the same probability for every
participant of a sequence, and the log odds ratio between the sequences is 2 log RR,
whatever the frailty and the period effect (``within_participant_counts``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from trialkit.core.analysis.catalogue import method
from trialkit.core.analysis.counts import CountResult
from trialkit.core.analysis.table import Table

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Estimate:
    estimate: float
    se: float
    p_value: float


def draw_continuous(rng: np.random.Generator, n_ab: int, n_ba: int, *, effect: float,
                    period_effect: float, sd: float, correlation: float) -> FloatArray:
    """(participants × 2 periods) responses, the AB sequence first."""
    if not 0 <= correlation < 1:
        raise ValueError(f"correlation: {correlation} is not in [0, 1)")
    n = n_ab + n_ba
    person = rng.normal(0.0, sd * math.sqrt(correlation), n)
    noise = rng.normal(0.0, sd * math.sqrt(1 - correlation), (n, 2))
    active = np.zeros((n, 2))
    active[:n_ab, 0] = 1.0
    active[n_ab:, 1] = 1.0
    return np.asarray(person[:, None] + np.array([0.0, period_effect]) + effect * active
                      + noise, dtype=np.float64)


def analyse_continuous(y: FloatArray, n_ab: int) -> Estimate:
    """τ̂ from the period differences, with the two-sample t test."""
    differences = y[:, 0] - y[:, 1]
    first, second = differences[:n_ab], differences[n_ab:]
    test = stats.ttest_ind(first, second)
    pooled = math.sqrt(((len(first) - 1) * first.var(ddof=1)
                        + (len(second) - 1) * second.var(ddof=1))
                       / (len(first) + len(second) - 2))
    se = pooled * math.sqrt(1 / len(first) + 1 / len(second)) / 2
    return Estimate(float(first.mean() - second.mean()) / 2, se, float(test.pvalue))


def crossover_power(*, effect: float, sd: float, correlation: float, n_ab: int, n_ba: int,
                    alpha: float = 0.05) -> float:
    """Exact power of the two-sided test: a noncentral t on n_AB + n_BA − 2 degrees of
    freedom with noncentrality τ / SE(τ̂), SE = √(2σ²(1 − ρ)(1/n_AB + 1/n_BA)) / 2."""
    df = n_ab + n_ba - 2
    se = math.sqrt(2 * sd ** 2 * (1 - correlation) * (1 / n_ab + 1 / n_ba)) / 2
    critical = float(stats.t.isf(alpha / 2, df))
    ncp = effect / se
    return float(stats.nct.sf(critical, df, ncp) + stats.nct.cdf(-critical, df, ncp))


def parallel_power(*, effect: float, sd: float, n_a: int, n_b: int,
                   alpha: float = 0.05) -> float:
    """The same effect compared between two parallel groups of the same size (period 1
    only): what the crossover's within-participant correlation buys."""
    df = n_a + n_b - 2
    ncp = effect / (sd * math.sqrt(1 / n_a + 1 / n_b))
    critical = float(stats.t.isf(alpha / 2, df))
    return float(stats.nct.sf(critical, df, ncp) + stats.nct.cdf(-critical, df, ncp))


def draw_counts(rng: np.random.Generator, n_ab: int, n_ba: int, *, rate_per_scan: float,
                scans: int, frailty_shape: float, rate_ratio: float, period_ratio: float
                ) -> IntArray:
    """(participants × 2 periods) lesion counts over each period's scans, AB first."""
    n = n_ab + n_ba
    frailty = rng.gamma(frailty_shape, 1.0 / frailty_shape, n)
    active = np.zeros((n, 2))
    active[:n_ab, 0] = 1.0
    active[n_ab:, 1] = 1.0
    mean = (scans * rate_per_scan * frailty[:, None] * rate_ratio ** active
            * np.array([1.0, period_ratio]))
    return np.asarray(rng.poisson(mean), dtype=np.int64)


def first_period_counts(counts: IntArray, n_ab: int, scans: int,
                        confidence: float = 0.95) -> tuple[Estimate, CountResult]:
    """The declared primary: period-1 counts, AB (active first) against BA, negative
    binomial with the number of scans as exposure (the analysis package's method)."""
    sequence = np.where(np.arange(len(counts)) < n_ab, "AB", "BA").astype(object)
    table = Table({"count": counts[:, 0].astype(float), "scans": np.full(len(counts),
                                                                         float(scans)),
                   "sequence": sequence})
    result: CountResult = method("negative_binomial").run({"data": table}, {
        "response": "count", "exposure": "scans", "treatment": "sequence", "reference": "BA",
        "confidence": confidence})
    ratio = result.rate_ratios[0]
    return Estimate(float(ratio.estimate or math.nan), float(ratio.se or math.nan),
                    float(ratio.p_value if ratio.p_value is not None else math.nan)), result


def within_participant_counts(counts: IntArray, n_ab: int) -> Estimate:
    """log RR from the period-1 share of each sequence's counts (conditional on every
    participant's total): half the log odds ratio between the sequences, Wald test."""
    first = counts[:, 0]
    total = counts.sum(axis=1)
    cells = []
    for rows in (slice(0, n_ab), slice(n_ab, None)):
        p1, n = float(first[rows].sum()), float(total[rows].sum())
        cells.append((p1 + 0.5, n - p1 + 0.5))  # Haldane's half: a sequence without counts
    (a, b), (c, d) = cells
    log_odds = math.log(a / b) - math.log(c / d)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    p = float(2 * stats.norm.sf(abs(log_odds) / se))
    return Estimate(log_odds / 2, se / 2, p)
