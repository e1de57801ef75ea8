"""Balance and predictability of an allocation sequence.

- **Imbalance**: the absolute difference between the two arms' counts, overall and in the
  worst stratum (two-arm 1:1 designs; for other ratios, the largest deviation of an arm's
  count from its share).
- **Correct guesses under the convergence strategy** (Blackwell & Hodges, Ann Math Stat
  1957;28:449-460): before each allocation an observer who knows the stratum's counts so far
  guesses the arm furthest below its share; a tie is a coin flip and counts 1/2. For permuted
  blocks of fixed size 2m (1:1) the expected number of correct guesses per block is
  m + 2^(2m-1) / C(2m, m) - 1/2 (Blackwell & Hodges 1957; Matts & Lachin, Control Clin Trials
  1988;9:327-344): 0.75 of guesses for blocks of 2, 0.708 for blocks of 4.
  ``expected_guess_rate`` computes the exact rate for any block-size mix by enumeration.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from functools import cache

from trialkit.core.randomization.lists import StratumKey


def guesses(strata: Sequence[StratumKey], units: Sequence[str | None],
            ratio: dict[str, int]) -> float:
    """Expected number of correct convergence-strategy guesses over the sequence."""
    counts: dict[StratumKey, dict[str, int]] = {}
    correct = 0.0
    for stratum, unit in zip(strata, units, strict=True):
        if unit is None:
            continue
        seen = counts.setdefault(stratum, dict.fromkeys(ratio, 0))
        correct += _chance(seen, unit, ratio)
        seen[unit] += 1
    return correct


def _chance(seen: dict[str, int], unit: str, ratio: dict[str, int]) -> float:
    """Probability that the guess is ``unit``: 1/k when k arms are equally far below share."""
    total = sum(seen.values()) + 1
    weight = sum(ratio.values())
    shortfall = {arm: total * ratio[arm] / weight - seen[arm] for arm in ratio}
    largest = max(shortfall.values())
    tied = [arm for arm, short in shortfall.items() if math.isclose(short, largest)]
    return 1.0 / len(tied) if unit in tied else 0.0


def imbalance(strata: Sequence[StratumKey], units: Sequence[str | None],
              ratio: dict[str, int]) -> tuple[float, float]:
    """(overall, worst stratum) deviation of an arm's count from its share."""
    def deviation(chosen: list[str]) -> float:
        weight = sum(ratio.values())
        return max((abs(chosen.count(arm) - len(chosen) * ratio[arm] / weight)
                    for arm in ratio), default=0.0) * (2 if len(ratio) == 2 else 1)
    allocated = [(s, u) for s, u in zip(strata, units, strict=True) if u is not None]
    overall = deviation([u for _, u in allocated])
    by_stratum = [deviation([u for s, u in allocated if s == key])
                  for key in dict.fromkeys(s for s, _ in allocated)]
    return overall, max(by_stratum, default=0.0)


def blackwell_hodges_rate(block: int) -> float:
    """Expected share of correct convergence guesses for fixed 1:1 blocks of size ``block``."""
    m = block // 2
    return float((m + 2 ** (2 * m - 1) / math.comb(2 * m, m) - 0.5) / block)


def expected_guess_rate(block_sizes: tuple[int, ...], slots: int) -> float:
    """Exact expected share of correct convergence guesses over the first ``slots``
    allocations of one stratum of a 1:1 list whose blocks are drawn uniformly from
    ``block_sizes`` (as ``lists.build_list`` draws them): the average over every block-size
    sequence and every order within each block."""
    return _expected(tuple(sorted(block_sizes)), slots) / slots


@cache
def _expected(sizes: tuple[int, ...], slots: int, difference: int = 0) -> float:
    """Expected correct guesses in the next ``slots`` allocations, blocks starting now, with the
    stratum's counts differing by ``difference`` (the guesser does not see block ends)."""
    if slots <= 0:
        return 0.0
    total = 0.0
    for size in sizes:
        orders = set(itertools.permutations("A" * (size // 2) + "B" * (size // 2)))
        block_total = 0.0
        for order in orders:
            d, correct = difference, 0.0
            for used, arm in enumerate(order[:slots]):
                correct += 0.5 if d == 0 else float((d > 0) == (arm == "B"))
                d += 1 if arm == "A" else -1
                if used + 1 == slots:
                    break
            block_total += correct + _expected(sizes, slots - size, d)
        total += block_total / len(orders)
    return total / len(sizes)
