"""Rules that hold enrolment back: sequential dosing, the safety committee gate, randomization."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from trialkit.core.protocol._base import (
    Flag,
    Frozen,
    Ident,
    NonNegativeInt,
    Number,
    PositiveInt,
    Text,
    duplicates,
)


class SequentialEnrolment(Frozen):
    """A participant of ``part`` may start dosing only after the previous one has cleared."""

    part: Ident
    gated_administration: Ident
    """The administration that must wait (normally the first dose)."""
    previous_must_have_received: tuple[Ident, ...]
    """Administrations the previous participant must have received."""
    wait_days: NonNegativeInt
    """Days after the previous participant's last listed administration."""
    no_open_serious_adverse_event: Flag = True


class GateEvent(Frozen):
    """The adverse event a stopping rule counts, as the adverse-event form records it."""

    description: Text
    """What the event is, in words, e.g. ``serious adverse event related to study treatment``."""
    serious: Flag = True
    """Only serious events count (the form's AESER item)."""
    related: tuple[Text, ...] = ()
    """Codes of the form's relation item (AEREL) that count as related; empty: any relation."""
    minimum_grade: Annotated[int, Field(strict=True, ge=1, le=5)] | None = None
    """Only events of at least this CTCAE grade (the form's AETOXGR item) count."""


class BetaPrior(Frozen):
    """A Beta(a, b) prior on the rate of the counted event."""

    a: Number = Field(gt=0)
    b: Number = Field(gt=0)


class CountAtLeast(Frozen):
    """Stop when at least ``events`` of the first ``of_participants`` have the event."""

    kind: Literal["count_at_least"]
    events: PositiveInt
    of_participants: PositiveInt
    event: GateEvent

    @model_validator(mode="after")
    def _possible(self) -> CountAtLeast:
        if self.events > self.of_participants:
            raise ValueError(f"events ({self.events}) exceeds of_participants "
                             f"({self.of_participants}): the rule could never stop")
        return self


class PosteriorThreshold(Frozen):
    """Stop at the first participant count n (up to ``of_participants``) at which the posterior
    probability that the event rate exceeds ``threshold_rate`` is above ``probability``."""

    kind: Literal["posterior_threshold"]
    prior: BetaPrior
    threshold_rate: Number = Field(gt=0, lt=1)
    probability: Number = Field(gt=0, lt=1)
    of_participants: PositiveInt
    event: GateEvent


StoppingRule = Annotated[CountAtLeast | PosteriorThreshold, Field(discriminator="kind")]


class CommitteeGate(Frozen):
    """A safety committee must review ``reviews_part`` before ``opens_part`` may randomize."""

    committee: Text
    reviews_part: Ident
    opens_part: Ident
    after_administration: Ident
    """Every participant of the reviewed part must be this many days past this administration."""
    days_after_administration: NonNegativeInt
    decisions: tuple[Ident, ...]
    opening_decisions: tuple[Ident, ...]
    """Decisions that, once e-signed, open the gated part."""
    pause_decisions: tuple[Ident, ...] = ()
    """Decisions that pause enrolment and dosing until the committee resumes."""
    signer_role: Ident
    can_pause_any_time: Flag = True
    stopping_rule: StoppingRule | None = None
    """The declared rule the committee applies to the reviewed part's adverse events (the
    simulation evaluates it; the committee's page shows its operating characteristics)."""

    @model_validator(mode="after")
    def _decisions_are_known(self) -> CommitteeGate:
        unknown = [d for d in (*self.opening_decisions, *self.pause_decisions)
                   if d not in self.decisions]
        if unknown:
            raise ValueError(f"decision not in decisions: {', '.join(unknown)}")
        return self


class Gates(Frozen):
    sequential_enrolment: tuple[SequentialEnrolment, ...] = ()
    committee: tuple[CommitteeGate, ...] = ()


class Stratum(Frozen):
    """A stratification factor read from a form item captured before randomization."""

    id: Ident
    form: Ident
    item: Ident
    levels: tuple[Text, ...] = Field(min_length=2)


class PermutedBlocks(Frozen):
    block_sizes: tuple[PositiveInt, ...] = Field(min_length=1)
    """Block sizes, mixed at random; each must be a multiple of the ratio's sum."""


class Minimisation(Frozen):
    """Pocock–Simon minimisation over the strata factors."""

    probability: Number = Field(gt=0.5, le=1.0)
    """Probability of assigning the arm that minimises imbalance."""
    imbalance: Literal["range", "variance"] = "range"


class Randomization(Frozen):
    part: Ident
    ratio: dict[Ident, PositiveInt]
    """Allocation ratio by arm id, e.g. ``{active: 2, placebo: 1}``."""
    strata: tuple[Stratum, ...] = ()
    method: Literal["permuted_blocks", "minimisation"]
    permuted_blocks: PermutedBlocks | None = None
    minimisation: Minimisation | None = None
    kit_code_prefix: Ident = "KIT"
    list_size_per_stratum: PositiveInt | None = None
    """Slots generated per stratum; defaults to the part's enrolment target."""

    @model_validator(mode="after")
    def _method_is_configured(self) -> Randomization:
        if self.method == "permuted_blocks" and self.permuted_blocks is None:
            raise ValueError("method permuted_blocks needs a 'permuted_blocks' section")
        if self.method == "minimisation" and self.minimisation is None:
            raise ValueError("method minimisation needs a 'minimisation' section")
        if self.permuted_blocks is not None:
            total = sum(self.ratio.values())
            bad = [b for b in self.permuted_blocks.block_sizes if b % total]
            if bad:
                raise ValueError(
                    f"block sizes {bad} are not multiples of the ratio sum {total}")
        if duplicates([s.id for s in self.strata]):
            raise ValueError("stratum ids must be unique")
        return self
