"""How the trial is built: parts (phases), arms, interventions, administrations."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

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

    @model_validator(mode="after")
    def _randomized_parts_have_two_arms(self) -> Part:
        if self.allocation == "RANDOMIZED" and len(self.arms) < 2:
            raise ValueError("a RANDOMIZED part needs at least two arms")
        if duplicates(self.arms):
            raise ValueError(f"arm listed twice: {', '.join(duplicates(self.arms))}")
        return self


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
    screening_window_days: NonNegativeInt = 28
