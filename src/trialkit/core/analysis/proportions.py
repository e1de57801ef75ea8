"""Binomial proportions: exact (Clopper–Pearson) CIs, Newcombe differences, Fisher's exact test.

- Clopper & Pearson (1934): the exact interval from beta quantiles; conservative, never
  shorter than the nominal level needs. One-sided bounds put all of ``1 − confidence`` on
  one side (0 of 6 → 95% upper bound 1 − 0.05^(1/6) = 0.393).
- A difference of two proportions has no single exact interval in common use; we give
  Newcombe's hybrid score interval (Newcombe 1998, Stat Med 17:873, method 10: Wilson limits
  of each proportion combined by the square-and-add rule), which keeps close to nominal
  coverage at small n and stays inside [−1, 1]; the p-value is Fisher's exact test.
- Fisher's exact two-sided p is the sum of the probabilities of tables no more likely than
  the observed one (SAS PROC FREQ and R ``fisher.test`` agree). With a zero margin (no event
  in either arm, or every participant with the event) the test is undefined; SAS prints no
  p-value there and we return ``None``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy import stats

from trialkit.core.analysis.table import AnalysisInputError

Sided = Literal["two-sided", "lower", "upper"]


@dataclass(frozen=True)
class Interval:
    lower: float
    upper: float


@dataclass(frozen=True)
class Proportion:
    label: str
    events: int
    n: int
    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None
    confidence: float
    method: str = "Clopper-Pearson"


@dataclass(frozen=True)
class ProportionDifference:
    label: str
    difference: float | None
    ci_lower: float | None
    ci_upper: float | None
    confidence: float
    p_value: float | None
    """Fisher's exact two-sided p; ``None`` when a margin is zero."""
    method: str = "Newcombe hybrid score; Fisher exact p"


def _check(events: int, n: int) -> None:
    if n < 0 or not 0 <= events <= n:
        raise AnalysisInputError(f"need 0 <= events <= n, got {events} of {n}")


def clopper_pearson(events: int, n: int, confidence: float = 0.95,
                    sided: Sided = "two-sided") -> Interval:
    """The exact interval; ``sided="upper"`` gives [0, upper bound] at level ``confidence``."""
    _check(events, n)
    if n == 0:
        raise AnalysisInputError("a proportion of 0 participants has no confidence interval")
    tail = (1 - confidence) / 2 if sided == "two-sided" else 1 - confidence
    lower = 0.0 if events == 0 or sided == "upper" else float(
        stats.beta.ppf(tail, events, n - events + 1))
    upper = 1.0 if events == n or sided == "lower" else float(
        stats.beta.ppf(1 - tail, events + 1, n - events))
    return Interval(lower, upper)


def wilson(events: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson's score interval (no continuity correction), two-sided."""
    _check(events, n)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = events / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def proportion(label: str, events: int, n: int, confidence: float = 0.95) -> Proportion:
    if n == 0:
        return Proportion(label, events, n, None, None, None, confidence)
    interval = clopper_pearson(events, n, confidence)
    return Proportion(label, events, n, events / n, interval.lower, interval.upper, confidence)


def newcombe_difference(events1: int, n1: int, events0: int, n0: int,
                        confidence: float = 0.95) -> Interval:
    """Newcombe's hybrid score interval for p1 − p0."""
    p1, p0 = events1 / n1, events0 / n0
    w1, w0 = wilson(events1, n1, confidence), wilson(events0, n0, confidence)
    difference = p1 - p0
    lower = difference - math.hypot(p1 - w1.lower, w0.upper - p0)
    upper = difference + math.hypot(w1.upper - p1, p0 - w0.lower)
    return Interval(lower, upper)


def fisher_exact(events1: int, n1: int, events0: int, n0: int) -> float | None:
    """Two-sided Fisher exact p for events1/n1 vs events0/n0; ``None`` on a zero margin."""
    _check(events1, n1)
    _check(events0, n0)
    total = events1 + events0
    if n1 == 0 or n0 == 0 or total == 0 or total == n1 + n0:
        return None
    table = [[events1, n1 - events1], [events0, n0 - events0]]
    return float(stats.fisher_exact(table, alternative="two-sided").pvalue)


def difference(label: str, events1: int, n1: int, events0: int, n0: int,
               confidence: float = 0.95) -> ProportionDifference:
    if n1 == 0 or n0 == 0:
        return ProportionDifference(label, None, None, None, confidence, None)
    interval = newcombe_difference(events1, n1, events0, n0, confidence)
    return ProportionDifference(label, events1 / n1 - events0 / n0, interval.lower,
                                interval.upper, confidence,
                                fisher_exact(events1, n1, events0, n0))
