"""What a randomization allocates: arms in a parallel part, sequences in a crossover part, and
the arm a sequence gives in each period and on each date."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from tests.conftest import ROOT
from trialkit.core.protocol import Protocol, load_protocol
from trialkit.core.protocol.design import Part
from trialkit.core.protocol.gates import Minimisation
from trialkit.core.randomization import (
    allocation_unit,
    allocation_units,
    arm_on,
    arms_by_period,
    minimise_for,
)
from trialkit.core.randomization.lists import Slot


@pytest.fixture(scope="module")
def crossover() -> Part:
    protocol = load_protocol(ROOT / "protocols" / "nct01854957.yaml")
    return next(part for part in protocol.design.parts if part.is_crossover)


def test_a_crossover_part_allocates_its_sequences(crossover: Part) -> None:
    assert allocation_unit(crossover) == "sequence"
    assert allocation_units(crossover) == tuple(s.id for s in crossover.sequences)


def test_a_parallel_part_allocates_its_arms(reference_protocol: Protocol) -> None:
    part = reference_protocol.design.parts[-1]
    assert allocation_unit(part) == "arm"
    assert allocation_units(part) == part.arms


def test_a_sequence_gives_its_arms_period_by_period(crossover: Part) -> None:
    for sequence in crossover.sequences:
        assert arms_by_period(crossover, sequence.id) == tuple(
            zip((p.id for p in crossover.periods), sequence.arms, strict=True))


def test_the_arm_on_a_date_follows_the_period_the_participant_is_in(crossover: Part) -> None:
    sequence = crossover.sequences[0]
    first, second = (p.id for p in crossover.periods)
    starts = {first: date(2027, 1, 4), second: date(2027, 6, 21)}
    assert arm_on(crossover, sequence.id, starts, date(2027, 6, 20)) == sequence.arms[0]
    assert arm_on(crossover, sequence.id, starts, date(2027, 6, 21)) == sequence.arms[1]


def test_before_the_first_period_starts_the_arm_is_the_first_periods(crossover: Part) -> None:
    sequence = crossover.sequences[1]
    assert arm_on(crossover, sequence.id, {}, date(2027, 1, 1)) == sequence.arms[0]


def test_an_unknown_sequence_is_an_error_naming_it(crossover: Part) -> None:
    with pytest.raises(KeyError, match="no sequence 'nope'"):
        arms_by_period(crossover, "nope")


def test_a_slot_names_what_it_allocates_whichever_the_unit() -> None:
    parallel = Slot((), 1, 1, 2, "0001", "active", "K-0000-0000-0")
    crossover_slot = Slot((), 1, 1, 2, "0002", "", "K-0000-0001-0", treatment_sequence="ab")
    assert (parallel.allocation_unit, crossover_slot.allocation_unit) == ("active", "ab")


def test_minimisation_over_a_crossover_ratio_chooses_a_sequence(crossover: Part) -> None:
    protocol = load_protocol(ROOT / "protocols" / "nct01854957.yaml")
    assert protocol.randomization is not None
    randomization = protocol.randomization.model_copy(update={
        "method": "minimisation", "permuted_blocks": None,
        "minimisation": Minimisation(probability=0.8, imbalance="range")})
    decision = minimise_for(randomization, {}, {}, np.random.default_rng(1))
    assert decision.arm in allocation_units(crossover)
