"""Randomization of simulated participants by the protocol's own scheme and code.

A permuted-block protocol gets a fresh list per simulated trial from ``generate_list`` (the
function that makes the real list), and each participant takes the first unused slot of their
stratum, as ``allocate`` does; a minimisation protocol calls ``minimise_for`` per participant
with the counts so far. The result is what the trial would have allocated.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from trialkit.core.protocol.model import Protocol
from trialkit.core.randomization.allocation import minimise_for
from trialkit.core.randomization.lists import Slot, StratumKey, generate_list
from trialkit.core.randomization.minimisation import MutableCounts


def allocate(protocol: Protocol, strata: Sequence[StratumKey], rng: np.random.Generator
             ) -> list[str | None]:
    """The allocation unit (arm, or sequence in a crossover part) of each participant in
    enrolment order; None when their stratum has no slot left."""
    randomization = protocol.randomization
    if randomization is None:
        raise ValueError("randomization: the protocol has no randomization section")
    if randomization.method == "minimisation":
        return _minimised(protocol, strata, rng)
    slots: dict[StratumKey, list[Slot]] = {}
    for slot in generate_list(protocol, rng).slots:  # in stratum and sequence order
        slots.setdefault(slot.stratum, []).append(slot)
    used = dict.fromkeys(slots, 0)
    chosen: list[str | None] = []
    for stratum in strata:
        free = slots.get(stratum, [])
        if used.get(stratum, 0) >= len(free):
            chosen.append(None)
            continue
        chosen.append(free[used[stratum]].allocation_unit)
        used[stratum] += 1
    return chosen


def _minimised(protocol: Protocol, strata: Sequence[StratumKey], rng: np.random.Generator
               ) -> list[str | None]:
    randomization = protocol.randomization
    assert randomization is not None
    counts: MutableCounts = {}
    chosen: list[str | None] = []
    for stratum in strata:
        levels = dict(stratum)
        arm = minimise_for(randomization, counts, levels, rng).arm
        for factor, level in levels.items():
            by_arm = counts.setdefault(factor, {}).setdefault(level, {})
            by_arm[arm] = by_arm.get(arm, 0) + 1
        chosen.append(arm)
    return chosen
