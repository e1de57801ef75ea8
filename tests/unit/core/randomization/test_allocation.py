"""The allocation rule: next free slot of the stratum, idempotence, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from trialkit.core.protocol import Protocol
from trialkit.core.randomization import (
    AllocationRefusedError,
    EnrolmentFacts,
    RandomizationList,
    allocate,
    generate_list,
    next_free_slot,
)
from trialkit.core.scheduling import Check, Verdict

RRMS = (("ms_course", "RRMS"),)
SPMS = (("ms_course", "SPMS"),)
READY = EnrolmentFacts(eligible=True, consented=True)


@pytest.fixture(scope="module")
def rand_list(reference_protocol: Protocol) -> RandomizationList:
    return generate_list(reference_protocol, np.random.default_rng(2024))


def test_the_first_participant_of_a_stratum_gets_its_first_slot(
        rand_list: RandomizationList) -> None:
    allocation = allocate(rand_list, "P001", SPMS, {}, READY)
    assert allocation.new
    assert allocation.slot == rand_list.slots_of(SPMS)[0]


def test_participants_take_the_slots_of_their_own_stratum_in_sequence(
        rand_list: RandomizationList) -> None:
    allocated: dict[str, str] = {}
    for n in range(1, 6):
        stratum = RRMS if n % 2 else SPMS
        slot = allocate(rand_list, f"P{n:03d}", stratum, allocated, READY).slot
        allocated[f"P{n:03d}"] = slot.randomization_number
    sequences = {pid: s.sequence for pid, number in allocated.items()
                 for s in rand_list.slots if s.randomization_number == number}
    assert sequences == {"P001": 1, "P003": 2, "P005": 3, "P002": 1, "P004": 2}


def test_an_allocated_participant_gets_the_same_slot_again(rand_list: RandomizationList) -> None:
    first = allocate(rand_list, "P001", RRMS, {}, READY)
    allocated = {"P001": first.slot.randomization_number}
    again = allocate(rand_list, "P001", RRMS, allocated, READY)
    assert (again.slot, again.new) == (first.slot, False)


@pytest.mark.parametrize(("facts", "failing"), [
    (EnrolmentFacts(eligible=False, consented=True), {"eligible"}),
    (EnrolmentFacts(eligible=True, consented=False), {"consented"}),
    (EnrolmentFacts(eligible=False, consented=False), {"eligible", "consented"}),
])
def test_allocation_is_refused_without_eligibility_or_consent(
        rand_list: RandomizationList, facts: EnrolmentFacts, failing: set[str]) -> None:
    with pytest.raises(AllocationRefusedError) as refused:
        allocate(rand_list, "P001", RRMS, {}, facts)
    assert {c.id for c in refused.value.verdict.unmet} == failing


def test_allocation_is_refused_while_a_gate_is_closed(rand_list: RandomizationList) -> None:
    closed = Verdict("SMC gate", (Check("committee.decision", False, "No decision yet."),))
    with pytest.raises(AllocationRefusedError, match=r"No decision yet\."):
        allocate(rand_list, "P001", RRMS, {}, READY, gates=[closed])


def test_allocation_is_refused_when_the_stratum_has_no_slot_left(
        rand_list: RandomizationList) -> None:
    used = {f"X{i}": s.randomization_number for i, s in enumerate(rand_list.slots_of(SPMS))}
    assert next_free_slot(rand_list, SPMS, set(used.values())) is None
    with pytest.raises(AllocationRefusedError, match="no free slot left"):
        allocate(rand_list, "P999", SPMS, used, READY)
    assert allocate(rand_list, "P999", RRMS, used, READY).slot.stratum == RRMS


def test_a_used_number_that_is_not_in_the_list_is_an_error(rand_list: RandomizationList) -> None:
    with pytest.raises(ValueError, match="used: randomization number"):
        next_free_slot(rand_list, RRMS, {"9999"})


def test_an_unknown_stratum_is_an_error(rand_list: RandomizationList) -> None:
    with pytest.raises(ValueError, match="'ms_course=PPMS' is not a stratum"):
        next_free_slot(rand_list, (("ms_course", "PPMS"),), set())


def test_one_number_held_by_two_participants_is_an_error(rand_list: RandomizationList) -> None:
    number = rand_list.slots[0].randomization_number
    with pytest.raises(ValueError, match="held by two participants"):
        allocate(rand_list, "P003", RRMS, {"P001": number, "P002": number}, READY)
