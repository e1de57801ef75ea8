"""What a randomization allocates: an arm (a parallel part) or a sequence of arms (a crossover
part), and which arm a sequence gives in each period.

The protocol's ``randomization.ratio`` names the allocation units: arm ids for a parallel part,
sequence ids for a crossover part. Lists and minimisation work on those ids alike; the names
here keep a sequence from being read as an arm. A crossover participant receives one arm per
period, so "the participant's arm" depends on the date: ``arm_on`` gives it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Literal

from trialkit.core.protocol.design import Part
from trialkit.core.scheduling.periods import period_ids, period_on

AllocationUnit = Literal["arm", "sequence"]


def allocation_unit(part: Part) -> AllocationUnit:
    """``sequence`` for a crossover part (participants are randomized to a sequence of arms),
    ``arm`` otherwise."""
    return "sequence" if part.is_crossover else "arm"


def allocation_units(part: Part) -> tuple[str, ...]:
    """The ids a randomization of this part allocates: its sequences, else its arms."""
    if part.is_crossover:
        return tuple(sequence.id for sequence in part.sequences)
    return part.arms


def arms_by_period(part: Part, sequence_id: str) -> tuple[tuple[str, str], ...]:
    """``(period id, arm id)`` for each period of the part, in period order."""
    return tuple((period, part.arm_in_period(sequence_id, period)) for period in period_ids(part))


def arm_on(part: Part, sequence_id: str, starts: Mapping[str, date], on: date) -> str:
    """The arm a participant on ``sequence_id`` receives on ``on``: the arm of the period they
    are in then; before the first period starts, the arm of the first period (the one they are
    allocated to receive first, as a parallel participant is counted in their arm before the
    first dose)."""
    period = period_on(part, starts, on) or period_ids(part)[0]
    return part.arm_in_period(sequence_id, period)
