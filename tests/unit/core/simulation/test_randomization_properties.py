"""Balance and predictability of the protocol's permuted-block lists, measured on 10,000
lists made by the same code the trial uses, against the known values for permuted blocks
(Blackwell & Hodges 1957; Matts & Lachin 1988)."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest

from trialkit.core.protocol.gates import PermutedBlocks
from trialkit.core.randomization.lists import build_list
from trialkit.core.simulation.randomization_properties import (
    blackwell_hodges_rate,
    expected_guess_rate,
    guesses,
    imbalance,
)

LISTS = 10_000
SLOTS = 8
"""Slots per stratum in each simulated list (two strata): enough for two to four blocks."""


def enumerated_rate(block: int) -> float:
    """Convergence guessing over every order of one 1:1 block, by brute force."""
    orders = set(itertools.permutations("A" * (block // 2) + "B" * (block // 2)))
    total = 0.0
    for order in orders:
        seen = Counter()
        for arm in order:
            total += 0.5 if seen["A"] == seen["B"] else float(
                (seen["A"] < seen["B"]) == (arm == "A"))
            seen[arm] += 1
    return total / len(orders) / block


@pytest.mark.parametrize("block", [2, 4, 6, 8])
def test_the_closed_form_guess_rate_is_the_enumerated_one(block):
    assert blackwell_hodges_rate(block) == pytest.approx(enumerated_rate(block), abs=1e-12)
    assert expected_guess_rate((block,), block) == pytest.approx(enumerated_rate(block))


def test_the_published_rates_for_blocks_of_2_and_4():
    assert blackwell_hodges_rate(2) == 0.75
    assert blackwell_hodges_rate(4) == pytest.approx(17 / 24)


@pytest.fixture(scope="module")
def lists(protocol):
    """10,000 lists of the protocol's own scheme (stratified, mixed blocks of 2 and 4)."""
    randomization = protocol.randomization
    rng = np.random.default_rng(20260101)
    return [build_list(randomization, SLOTS, rng) for _ in range(LISTS)], randomization


def test_every_block_of_every_list_is_balanced(lists):
    made, _ = lists
    for rand_list in made:
        for _, block in itertools.groupby(rand_list.slots, key=lambda s: (s.stratum, s.block)):
            arms = Counter(slot.arm for slot in block)
            assert len(set(arms.values())) == 1 and len(arms) == 2


def test_a_stratum_is_never_more_than_half_the_largest_block_out_of_balance(lists):
    made, randomization = lists
    largest = max(randomization.permuted_blocks.block_sizes)
    worst = 0
    for rand_list in made:
        for stratum in rand_list.strata():
            arms = [slot.arm for slot in rand_list.slots_of(stratum)]
            running = np.cumsum([1 if a == arms[0] else -1 for a in arms])
            worst = max(worst, int(np.abs(running).max()))
    assert worst == largest // 2


def test_the_correct_guess_rate_is_the_exact_value_for_mixed_blocks(lists):
    made, randomization = lists
    ratio = dict(randomization.ratio)
    rates = []
    for rand_list in made:
        slots = [s for s in rand_list.slots if s.sequence <= SLOTS]
        rates.append(guesses([s.stratum for s in slots], [s.arm for s in slots], ratio)
                     / len(slots))
    rates = np.array(rates)
    exact = expected_guess_rate(randomization.permuted_blocks.block_sizes, SLOTS)
    assert rates.mean() == pytest.approx(exact, abs=3 * rates.std(ddof=1) / math.sqrt(LISTS))
    # Mixing sizes 2 and 4 sits between the fixed-size values.
    assert blackwell_hodges_rate(4) < exact < blackwell_hodges_rate(2)


def test_a_fixed_block_of_four_is_guessed_at_the_published_rate(protocol):
    fixed = protocol.randomization.model_copy(update={
        "permuted_blocks": PermutedBlocks(block_sizes=(4,)), "strata": ()})
    rng = np.random.default_rng(4)
    rates = []
    for _ in range(2000):
        slots = build_list(fixed, SLOTS, rng).slots
        rates.append(guesses([()] * len(slots), [s.arm for s in slots], dict(fixed.ratio))
                     / len(slots))
    rates = np.array(rates)
    assert rates.mean() == pytest.approx(17 / 24, abs=3 * rates.std(ddof=1) / math.sqrt(2000))


def test_imbalance_is_the_difference_between_the_arms():
    strata = [(("f", "a"),)] * 3 + [(("f", "b"),)] * 2
    overall, worst = imbalance(strata, ["x", "x", "y", "x", "x"], {"x": 1, "y": 1})
    assert (overall, worst) == (3.0, 2.0)
