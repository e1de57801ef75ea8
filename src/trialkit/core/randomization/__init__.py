"""Randomization: permuted-block lists, Pocock–Simon minimisation, the allocation rule, and
what is allocated (an arm, or a crossover part's sequence of arms)."""

from trialkit.core.randomization.allocation import (
    Allocation,
    AllocationRefusedError,
    EnrolmentFacts,
    allocate,
    minimise_for,
    next_free_slot,
)
from trialkit.core.randomization.kits import kit_code_is_valid
from trialkit.core.randomization.lists import (
    RandomizationList,
    Slot,
    StratumKey,
    build_list,
    generate_list,
    stratum_key,
    stratum_keys,
)
from trialkit.core.randomization.minimisation import MinimisationDecision, minimise, tally
from trialkit.core.randomization.units import (
    AllocationUnit,
    allocation_unit,
    allocation_units,
    arm_on,
    arms_by_period,
)

__all__ = [
    "Allocation", "AllocationRefusedError", "AllocationUnit", "EnrolmentFacts",
    "MinimisationDecision", "RandomizationList", "Slot", "StratumKey", "allocate",
    "allocation_unit", "allocation_units", "arm_on", "arms_by_period", "build_list",
    "generate_list", "kit_code_is_valid", "minimise", "minimise_for", "next_free_slot",
    "stratum_key", "stratum_keys", "tally",
]
