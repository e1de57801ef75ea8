"""Stratified permuted-block randomization lists: a function of (protocol, rng).

Per stratum (one per combination of the strata's levels), slots are filled with whole blocks:
each block's size is drawn at random from ``block_sizes`` and holds every arm in proportion to
the ratio, in a random order. Blocks are never cut, so a stratum holds at least the required
number of slots (``list_size_per_stratum``, else the part's enrolment target: any stratum must
be able to take every participant) and at most ``largest block − 1`` more.

Randomization numbers are a random permutation of ``1..N`` over the whole list and kit codes
are random (``kits``): neither reveals arm, stratum or order. The list's canonical JSON and its
SHA-256 are what gets recorded when a list goes live; the same seed gives the same list.

A crossover part randomizes to *sequences* of arms (``units``): blocks are built the same way
over the ratio's sequence ids, and each slot holds its ``treatment_sequence`` with no arm (the
arm depends on the period). A parallel list's canonical JSON is unchanged by this.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from trialkit.core.protocol.gates import Randomization
from trialkit.core.protocol.model import Protocol
from trialkit.core.randomization.kits import draw_kit_codes
from trialkit.core.randomization.units import AllocationUnit, allocation_unit

FORMAT = "trialkit-randomization-list/1"
StratumKey = tuple[tuple[str, str], ...]
"""``((factor id, level), ...)`` in the protocol's strata order; ``()`` when unstratified."""


@dataclass(frozen=True)
class Slot:
    stratum: StratumKey
    sequence: int
    """1-based position within the stratum: slots are used in this order."""
    block: int
    """1-based block number within the stratum."""
    block_size: int
    randomization_number: str
    arm: str
    """The arm allocated (a parallel part); blank in a crossover list."""
    kit_code: str
    treatment_sequence: str = ""
    """The sequence of arms allocated (a crossover part); blank in a parallel list. Not to be
    confused with ``sequence``, the slot's position in its stratum."""

    @property
    def allocation_unit(self) -> str:
        """What the slot allocates: its treatment sequence, else its arm."""
        return self.treatment_sequence or self.arm

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "stratum": dict(self.stratum), "sequence": self.sequence, "block": self.block,
            "block_size": self.block_size, "randomization_number": self.randomization_number,
            "kit_code": self.kit_code}
        if self.treatment_sequence:
            data["treatment_sequence"] = self.treatment_sequence
        else:
            data["arm"] = self.arm
        return data


@dataclass(frozen=True)
class RandomizationList:
    part: str
    ratio: tuple[tuple[str, int], ...]
    """``(allocation unit id, weight)`` sorted by id: arms, or sequences (``unit``)."""
    factors: tuple[str, ...]
    slots: tuple[Slot, ...]
    unit: AllocationUnit = "arm"

    def canonical_json(self) -> str:
        data: dict[str, Any] = {
            "format": FORMAT, "part": self.part, "ratio": dict(self.ratio),
            "factors": list(self.factors), "slots": [s.as_json() for s in self.slots]}
        if self.unit != "arm":  # a parallel list hashes as it always has
            data["allocates"] = self.unit
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def sha256(self) -> str:
        """Hex SHA-256 of the canonical JSON: recorded before the list is first used."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def strata(self) -> tuple[StratumKey, ...]:
        return tuple(dict.fromkeys(slot.stratum for slot in self.slots))

    def slots_of(self, stratum: StratumKey) -> tuple[Slot, ...]:
        return tuple(slot for slot in self.slots if slot.stratum == stratum)


def stratum_keys(randomization: Randomization) -> tuple[StratumKey, ...]:
    """Every stratum: the cartesian product of the factors' levels, in protocol order."""
    per_factor = [[(s.id, level) for level in s.levels] for s in randomization.strata]
    return tuple(tuple(combo) for combo in itertools.product(*per_factor))


def stratum_key(randomization: Randomization, levels: Mapping[str, str]) -> StratumKey:
    """A participant's stratum from their factor levels; unknown factors or levels are errors."""
    expected = [s.id for s in randomization.strata]
    extra = sorted(set(levels) - set(expected))
    if extra:
        raise ValueError(f"levels: unknown stratification factor(s) {', '.join(extra)}")
    key: list[tuple[str, str]] = []
    for factor in randomization.strata:
        if factor.id not in levels:
            raise ValueError(f"levels.{factor.id}: missing")
        if levels[factor.id] not in factor.levels:
            raise ValueError(f"levels.{factor.id}: '{levels[factor.id]}' is not one of "
                             f"{', '.join(factor.levels)}")
        key.append((factor.id, levels[factor.id]))
    return tuple(key)


def stratum_label(stratum: StratumKey) -> str:
    return ", ".join(f"{factor}={level}" for factor, level in stratum) or "all participants"


def stratum_in_words(protocol: Protocol, stratum: StratumKey) -> str:
    """A stratum as people read it ("MS course: SPMS"): each factor by the label of the item it
    is read from, each level by its code list's decode."""
    factors = {s.id: s for s in protocol.randomization.strata} if protocol.randomization else {}
    words = []
    for factor_id, level in stratum:
        factor = factors.get(factor_id)
        if factor is None:  # a list kept from an earlier protocol version
            words.append(f"{factor_id}: {level}")
            continue
        item = protocol.form(factor.form).item(factor.item)
        decoded = protocol.codelist(item.codelist).decode(level) if item.codelist else level
        words.append(f"{item.label}: {decoded}")
    return "; ".join(words) or "all participants"


def generate_list(protocol: Protocol, rng: np.random.Generator) -> RandomizationList:
    """The protocol's permuted-block list, sized from the protocol."""
    randomization = protocol.randomization
    if randomization is None:
        raise ValueError("randomization: the protocol has no randomization section")
    if randomization.method != "permuted_blocks":
        raise ValueError(f"randomization.method: '{randomization.method}' allocates "
                         "participant by participant; it has no list")
    part = protocol.part(randomization.part)
    per_stratum = randomization.list_size_per_stratum or part.enrolment_target
    return build_list(randomization, per_stratum, rng, unit=allocation_unit(part))


def build_list(randomization: Randomization, per_stratum: int, rng: np.random.Generator,
               *, unit: AllocationUnit = "arm") -> RandomizationList:
    """A list with at least ``per_stratum`` slots in every stratum (whole blocks only), over
    the ratio's ids: arms, or sequences when ``unit`` is ``sequence``."""
    if randomization.permuted_blocks is None:
        raise ValueError("randomization.permuted_blocks: missing")
    if per_stratum < 1:
        raise ValueError("per_stratum: must be at least 1")
    ratio = tuple(sorted(randomization.ratio.items()))
    sizes = randomization.permuted_blocks.block_sizes
    rows = [(key, *row) for key in stratum_keys(randomization)
            for row in _stratum_rows(ratio, sizes, per_stratum, rng)]
    numbers = rng.permutation(len(rows)) + 1
    width = max(4, len(str(len(rows))))
    kits = draw_kit_codes(randomization.kit_code_prefix, len(rows), rng)
    crossover = unit == "sequence"
    slots = tuple(
        Slot(stratum=key, sequence=seq, block=block, block_size=size,
             randomization_number=f"{int(number):0{width}d}", arm="" if crossover else drawn,
             kit_code=kit, treatment_sequence=drawn if crossover else "")
        for (key, seq, block, size, drawn), number, kit in zip(rows, numbers, kits, strict=True)
    )
    return RandomizationList(part=randomization.part, ratio=ratio,
                             factors=tuple(s.id for s in randomization.strata), slots=slots,
                             unit=unit)


def _stratum_rows(ratio: tuple[tuple[str, int], ...], sizes: tuple[int, ...], needed: int,
                  rng: np.random.Generator) -> list[tuple[int, int, int, str]]:
    """``(sequence, block, block size, unit)`` for one stratum, whole blocks until ``needed``."""
    rows: list[tuple[int, int, int, str]] = []
    block = 0
    while len(rows) < needed:
        block += 1
        size = sizes[int(rng.integers(len(sizes)))]
        for arm in permuted_block(ratio, size, rng):
            rows.append((len(rows) + 1, block, size, arm))
    return rows


def permuted_block(ratio: tuple[tuple[str, int], ...], size: int,
                   rng: np.random.Generator) -> list[str]:
    """One block of ``size``: each arm (or sequence) ``size × weight / total`` times, in random
    order."""
    total = sum(weight for _, weight in ratio)
    if size % total:
        raise ValueError(f"block size {size} is not a multiple of the ratio sum {total}")
    arms = [arm for arm, weight in ratio for _ in range(size * weight // total)]
    return [arms[int(i)] for i in rng.permutation(len(arms))]
