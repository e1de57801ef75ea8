"""The pure allocation rule: which slot a participant gets, and when allocation is refused.

- A participant already allocated gets the same slot again (retries and double clicks are
  harmless); a later correction of their stratum does not move them, it is a deviation.
- Otherwise the participant must be eligible and consented, and every gate verdict passed in
  (committee gate, pause, cap) must allow it; then they get the first unused slot of their
  stratum in sequence order. A stratum with no unused slot refuses.

The server serialises allocations per list (one transaction, row lock) so two participants
never read the same "first unused" slot; this module decides, it does not lock.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from trialkit.core.protocol.gates import Randomization
from trialkit.core.randomization.lists import (
    RandomizationList,
    Slot,
    StratumKey,
    stratum_key,
    stratum_label,
)
from trialkit.core.randomization.minimisation import Counts, MinimisationDecision, minimise
from trialkit.core.scheduling.checks import Verdict, check_that, combine, gettext_noop


@dataclass(frozen=True)
class EnrolmentFacts:
    eligible: bool
    """The eligibility verdict is ``eligible`` (not ``incomplete``)."""
    consented: bool
    """Signed informed consent is on file."""


@dataclass(frozen=True)
class Allocation:
    participant_id: str
    slot: Slot
    new: bool
    """False when the participant already held this slot."""


class AllocationRefusedError(Exception):
    """Allocation refused; ``verdict`` lists every check, met or not."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__("allocation refused: " + " ".join(verdict.reasons))
        self.verdict = verdict


def fact_checks(facts: EnrolmentFacts) -> Verdict:
    eligible = (check_that("eligible", True, gettext_noop("The participant is eligible."))
                if facts.eligible else check_that("eligible", False, gettext_noop(
                    "The participant is not confirmed eligible.")))
    consented = (check_that("consented", True, gettext_noop("Informed consent is on file."))
                 if facts.consented else check_that("consented", False, gettext_noop(
                     "No signed informed consent is on file.")))
    return Verdict("participant", (eligible, consented))


def next_free_slot(rand_list: RandomizationList, stratum: StratumKey,
                   used: Collection[str]) -> Slot | None:
    """First slot of ``stratum`` whose randomization number is not in ``used``."""
    numbers = {slot.randomization_number for slot in rand_list.slots}
    stray = sorted(set(used) - numbers)
    if stray:
        raise ValueError(f"used: randomization number(s) not in this list: {', '.join(stray)}")
    if stratum not in rand_list.strata():
        raise ValueError(f"stratum: '{stratum_label(stratum)}' is not a stratum of this list")
    return next((s for s in rand_list.slots_of(stratum) if s.randomization_number not in used),
                None)


def allocate(rand_list: RandomizationList, participant_id: str, stratum: StratumKey,
             allocated: Mapping[str, str], facts: EnrolmentFacts,
             gates: Sequence[Verdict] = ()) -> Allocation:
    """Allocate ``participant_id``; ``allocated`` maps participant id → randomization number."""
    if len(set(allocated.values())) != len(allocated):
        raise ValueError("allocated: a randomization number is held by two participants")
    if participant_id in allocated:
        number = allocated[participant_id]
        slot = next((s for s in rand_list.slots if s.randomization_number == number), None)
        if slot is None:
            raise ValueError(f"allocated.{participant_id}: '{number}' is not in this list")
        return Allocation(participant_id, slot, new=False)
    free = next_free_slot(rand_list, stratum, set(allocated.values()))
    if free is not None:
        room = check_that("slot_available", True, gettext_noop(
            "Stratum %(stratum)s has a free slot in the list."), stratum=stratum_label(stratum))
    else:
        room = check_that("slot_available", False, gettext_noop(
            "Stratum %(stratum)s has no free slot left in the list."),
            stratum=stratum_label(stratum))
    capacity = Verdict("list", (room,))
    verdict = combine("allocate", [fact_checks(facts), *gates, capacity])
    if not verdict.allowed or free is None:
        raise AllocationRefusedError(verdict)
    return Allocation(participant_id, free, new=True)


def minimise_for(randomization: Randomization, counts: Counts, levels: Mapping[str, str],
                 rng: np.random.Generator) -> MinimisationDecision:
    """Minimisation with the protocol's settings; ``levels`` must name every factor's level."""
    if randomization.minimisation is None:
        raise ValueError("randomization.minimisation: missing")
    stratum_key(randomization, levels)  # validates every factor and level
    settings = randomization.minimisation
    return minimise(counts, levels, randomization.ratio, settings.probability,
                    settings.imbalance, rng)
