"""Pocock–Simon minimisation, with every score kept so a decision can be audited.

For a new participant with level ``l_i`` of each factor ``i`` and each candidate arm ``k``:
count, in each factor's level ``l_i``, the participants already on each arm ``j`` (``n_ij``),
add the new participant to arm ``k``, and divide by the arm's ratio weight ``r_j`` (so a 2:1
ratio counts as balanced when counts are 2:1). The factor's imbalance ``d_i(k)`` is the range
(max − min) or the population variance of those adjusted counts; the arm's score is
``G(k) = Σ_i w_i d_i(k)`` (weights default to 1). Scores are exact fractions, so ties are
real ties.

The arms with the smallest ``G`` are *preferred*. If every arm is preferred (a tie), the arm is
drawn in proportion to the ratio. Otherwise probability ``p`` is spread over the preferred arms
and ``1 − p`` over the others, each in proportion to the ratio. One uniform draw decides; it is
recorded with the probabilities, so the decision can be re-derived.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np

Measure = Literal["range", "variance"]
Counts = Mapping[str, Mapping[str, Mapping[str, int]]]
"""Factor id → level → arm id → participants already allocated."""
MutableCounts = dict[str, dict[str, dict[str, int]]]


@dataclass(frozen=True)
class ArmScore:
    arm: str
    by_factor: tuple[tuple[str, Fraction], ...]
    """Imbalance of each factor if the participant joined this arm."""
    total: Fraction


@dataclass(frozen=True)
class MinimisationDecision:
    arm: str
    """The ratio id chosen: an arm, or for a crossover part a sequence of arms (the ratio names
    sequences there; ``units.allocation_unit`` says which)."""
    measure: Measure
    scores: tuple[ArmScore, ...]
    preferred: tuple[str, ...]
    probabilities: tuple[tuple[str, float], ...]
    draw: float
    """The uniform draw in [0, 1) that picked ``arm`` from the cumulative probabilities."""

    def explanation(self) -> str:
        parts = [f"{s.arm}: G={float(s.total):.4g} ("
                 + ", ".join(f"{f}={float(d):.4g}" for f, d in s.by_factor) + ")"
                 for s in self.scores]
        chances = ", ".join(f"{arm} {p:.3f}" for arm, p in self.probabilities)
        return (f"Imbalance ({self.measure}) if assigned to each arm: {'; '.join(parts)}. "
                f"Preferred: {', '.join(self.preferred)}. Probabilities: {chances}. "
                f"Draw {self.draw:.6f} → {self.arm}.")


def minimise(counts: Counts, levels: Mapping[str, str], ratio: Mapping[str, int],
             probability: float, measure: Measure, rng: np.random.Generator,
             weights: Mapping[str, float] | None = None) -> MinimisationDecision:
    """Choose the arm for a participant with ``levels`` (factor id → level)."""
    _validate(counts, ratio, probability)
    arms = sorted(ratio)
    scores = tuple(_score(arm, counts, levels, ratio, measure, weights or {}) for arm in arms)
    best = min(s.total for s in scores)
    preferred = tuple(s.arm for s in scores if s.total == best)
    probabilities = _probabilities(arms, preferred, ratio, probability)
    draw = float(rng.random())
    return MinimisationDecision(arm=_pick(probabilities, draw), measure=measure, scores=scores,
                                preferred=preferred, probabilities=probabilities, draw=draw)


def _validate(counts: Counts, ratio: Mapping[str, int], probability: float) -> None:
    if len(ratio) < 2 or any(w < 1 for w in ratio.values()):
        raise ValueError("ratio: needs at least two arms with positive weights")
    if not 0.0 < probability <= 1.0:
        raise ValueError("probability: must be in (0, 1]")
    for factor, by_level in counts.items():
        for level, by_arm in by_level.items():
            unknown = sorted(set(by_arm) - set(ratio))
            if unknown:
                raise ValueError(f"counts.{factor}.{level}: unknown arm(s) {', '.join(unknown)}")
            if any(n < 0 for n in by_arm.values()):
                raise ValueError(f"counts.{factor}.{level}: counts must not be negative")


def _score(arm: str, counts: Counts, levels: Mapping[str, str], ratio: Mapping[str, int],
           measure: Measure, weights: Mapping[str, float]) -> ArmScore:
    by_factor: list[tuple[str, Fraction]] = []
    for factor, level in sorted(levels.items()):
        current = counts.get(factor, {}).get(level, {})
        adjusted = [Fraction(current.get(j, 0) + (1 if j == arm else 0), ratio[j])
                    for j in sorted(ratio)]
        by_factor.append((factor, _imbalance(adjusted, measure)))
    total = sum((Fraction(weights.get(f, 1.0)) * d for f, d in by_factor), Fraction(0))
    return ArmScore(arm=arm, by_factor=tuple(by_factor), total=total)


def _imbalance(adjusted: list[Fraction], measure: Measure) -> Fraction:
    if measure == "range":
        return max(adjusted) - min(adjusted)
    mean = sum(adjusted, Fraction(0)) / len(adjusted)
    return sum(((a - mean) ** 2 for a in adjusted), Fraction(0)) / len(adjusted)


def _probabilities(arms: list[str], preferred: tuple[str, ...], ratio: Mapping[str, int],
                   probability: float) -> tuple[tuple[str, float], ...]:
    if len(preferred) == len(arms):
        total = sum(ratio.values())
        return tuple((arm, ratio[arm] / total) for arm in arms)
    in_best = sum(ratio[a] for a in preferred)
    in_rest = sum(ratio[a] for a in arms if a not in preferred)
    return tuple(
        (arm, probability * ratio[arm] / in_best if arm in preferred
         else (1.0 - probability) * ratio[arm] / in_rest)
        for arm in arms
    )


def _pick(probabilities: tuple[tuple[str, float], ...], draw: float) -> str:
    cumulative = 0.0
    for arm, chance in probabilities:
        cumulative += chance
        if draw < cumulative and chance > 0.0:
            return arm
    # Rounding can leave the cumulative sum a hair under 1: the last possible arm takes it.
    return next(arm for arm, chance in reversed(probabilities) if chance > 0.0)


def tally(allocations: Iterable[tuple[Mapping[str, str], str]]) -> MutableCounts:
    """Counts from earlier allocations, each ``(factor levels, arm)``."""
    counts: MutableCounts = {}
    for levels, arm in allocations:
        for factor, level in levels.items():
            by_arm = counts.setdefault(factor, {}).setdefault(level, {})
            by_arm[arm] = by_arm.get(arm, 0) + 1
    return counts
