"""Randomization: permuted-block lists, Pocock–Simon minimisation, the allocation rule."""

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

__all__ = [
    "Allocation", "AllocationRefusedError", "EnrolmentFacts", "MinimisationDecision",
    "RandomizationList", "Slot", "StratumKey", "allocate", "build_list", "generate_list",
    "kit_code_is_valid", "minimise", "minimise_for", "next_free_slot", "stratum_key",
    "stratum_keys", "tally",
]
