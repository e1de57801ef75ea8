"""How the trial is built: parts (phases), arms, interventions, administrations."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from trialkit.core.protocol._base import (
    Frozen,
    Ident,
    NonNegativeInt,
    OptionalText,
    PositiveInt,
    Text,
    duplicates,
)

Phase = Literal["EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA"]
ArmType = Literal["EXPERIMENTAL", "ACTIVE_COMPARATOR", "PLACEBO_COMPARATOR", "SHAM_COMPARATOR",
                  "NO_INTERVENTION", "OTHER"]
InterventionType = Literal["BEHAVIORAL", "BIOLOGICAL", "COMBINATION_PRODUCT", "DEVICE",
                           "DIAGNOSTIC_TEST", "DIETARY_SUPPLEMENT", "DRUG", "GENETIC", "PROCEDURE",
                           "RADIATION", "OTHER"]
MaskedParty = Literal["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR"]
MaskingLevel = Literal["NONE", "SINGLE", "DOUBLE", "TRIPLE", "QUADRUPLE"]
Allocation = Literal["RANDOMIZED", "NON_RANDOMIZED", "NA"]


class Masking(Frozen):
    level: MaskingLevel
    who_masked: tuple[MaskedParty, ...] = ()
    description: OptionalText | None = None

    @model_validator(mode="after")
    def _masked_parties_match_level(self) -> Masking:
        if self.level == "NONE" and self.who_masked:
            raise ValueError("an open-label (NONE) masking cannot list masked parties")
        return self


class Enrolment(Frozen):
    count: PositiveInt
    type: Literal["ACTUAL", "ESTIMATED"]


class Arm(Frozen):
    id: Ident
    label: Text
    type: ArmType
    description: Text
    interventions: tuple[Ident, ...]
    """Ids of the interventions given in this arm."""


class Intervention(Frozen):
    id: Ident
    name: Text
    type: InterventionType
    description: Text
    other_names: tuple[Text, ...] = ()


class ArmPreparation(Frozen):
    """What one arm receives at one administration: unblinded information."""

    preparation: Text
    """What the cell lab/pharmacy prepares, e.g. ``UMSC01 cells in normal saline``."""
    procedure: Literal["real", "sham", "none"] = "real"
    """Whether the procedure is performed for real or simulated (a sham)."""


class Administration(Frozen):
    """A dosing event every participant receives, with per-arm content."""

    id: Ident
    name: Text
    visit: Ident
    """Visit at which it is given."""
    route: Literal["intravenous", "intrathecal", "subcutaneous", "oral", "intramuscular", "other"]
    by_arm: dict[Ident, ArmPreparation]
    """Per arm: what is prepared and whether the procedure is real or sham."""
    performed_by: Ident
    """Role that performs it (it sees the arm-specific procedure)."""
    prepared_by: Ident
    """Role that prepares it (it sees the arm-specific preparation)."""
    period: Ident | None = None
    """In a crossover part: the period it belongs to (its content follows the arm the
    participant's sequence gives for that period)."""

    @property
    def differs_by_arm(self) -> bool:
        """Whether performing it reveals the arm (a real procedure in one arm, a sham in
        another): only a role that may see the procedure type may then record it."""
        return len({content.procedure for content in self.by_arm.values()}) > 1


class Period(Frozen):
    """A treatment period of a crossover part."""

    id: Ident
    name: Text


class Sequence(Frozen):
    """The order in which a participant of a crossover part receives the arms: one arm per
    period, in period order. Participants are randomized to a sequence."""

    id: Ident
    label: Text
    arms: tuple[Ident, ...] = Field(min_length=2)


class Part(Frozen):
    """One part of the trial (Phase I run-in, Phase IIa, ...) with its own arms and target."""

    id: Ident
    name: Text
    phase: Phase
    arms: tuple[Ident, ...]
    enrolment_target: PositiveInt
    allocation: Allocation
    masking: Masking
    enrolment_order: Literal["sequential", "parallel"] = "parallel"
    description: OptionalText | None = None
    periods: tuple[Period, ...] = ()
    """Treatment periods of a crossover part, in order; empty = a parallel part."""
    sequences: tuple[Sequence, ...] = ()
    """The sequences of arms participants are randomized to (a crossover part)."""
    washout_days: NonNegativeInt = 0
    """Days that must pass between the end of one period and the first dose of the next."""

    @model_validator(mode="after")
    def _arms_and_periods_hold(self) -> Part:
        if self.allocation == "RANDOMIZED" and len(self.arms) < 2:
            raise ValueError("a RANDOMIZED part needs at least two arms")
        if duplicates(self.arms):
            raise ValueError(f"arm listed twice: {', '.join(duplicates(self.arms))}")
        if bool(self.periods) != bool(self.sequences):
            raise ValueError("a crossover part has both periods and sequences")
        for what, ids in (("period", [p.id for p in self.periods]),
                          ("sequence", [s.id for s in self.sequences])):
            if duplicates(ids):
                raise ValueError(f"{what} id repeated: {', '.join(duplicates(ids))}")
        for sequence in self.sequences:
            if len(sequence.arms) != len(self.periods):
                raise ValueError(f"sequence '{sequence.id}' gives {len(sequence.arms)} arms for "
                                 f"{len(self.periods)} periods")
            unknown = [a for a in sequence.arms if a not in self.arms]
            if unknown:
                raise ValueError(f"sequence '{sequence.id}' names arms not in the part: "
                                 f"{', '.join(unknown)}")
        return self

    @property
    def is_crossover(self) -> bool:
        return bool(self.sequences)

    def sequence(self, sequence_id: str) -> Sequence:
        for sequence in self.sequences:
            if sequence.id == sequence_id:
                return sequence
        raise KeyError(f"part '{self.id}' has no sequence '{sequence_id}'")

    def arm_in_period(self, sequence_id: str, period_id: str) -> str:
        """The arm a participant on this sequence receives during this period."""
        index = [p.id for p in self.periods].index(period_id)
        return self.sequence(sequence_id).arms[index]


class FollowUp(Frozen):
    months: PositiveInt
    after_administration: Ident
    """Follow-up is counted from this administration (e.g. the intrathecal dose)."""


class Design(Frozen):
    study_type: Literal["INTERVENTIONAL", "OBSERVATIONAL", "EXPANDED_ACCESS"]
    phases: tuple[Phase, ...]
    primary_purpose: Literal["TREATMENT", "PREVENTION", "DIAGNOSTIC", "ECT", "SUPPORTIVE_CARE",
                             "SCREENING", "HEALTH_SERVICES_RESEARCH", "BASIC_SCIENCE",
                             "DEVICE_FEASIBILITY", "OTHER"]
    allocation: Allocation
    intervention_model: Literal["SINGLE_GROUP", "PARALLEL", "CROSSOVER", "FACTORIAL",
                                "SEQUENTIAL"]
    masking: Masking
    enrolment: Enrolment
    parts: tuple[Part, ...]
    arms: tuple[Arm, ...]
    interventions: tuple[Intervention, ...]
    administrations: tuple[Administration, ...] = ()
    follow_up: FollowUp | None = None
    day_zero: Ident | None = None
    """Administration that defines study day 0 (visit days are offsets from it)."""
