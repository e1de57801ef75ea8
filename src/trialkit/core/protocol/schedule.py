"""The schedule of activities and the case report forms it asks for."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from trialkit.core.protocol._base import (
    Flag,
    Frozen,
    Ident,
    Int,
    NonNegativeInt,
    Number,
    OptionalText,
    Text,
    duplicates,
)

ItemType = Literal["integer", "decimal", "text", "date", "datetime", "boolean", "choice"]


class Range(Frozen):
    min: Number | None = None
    max: Number | None = None
    step: Number | None = None
    """Allowed granularity from ``min`` (e.g. EDSS in 0.5 steps)."""

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class Derivation(Frozen):
    """An item computed from others by a named, tested function of the scoring package."""

    function: Ident
    inputs: tuple[Ident, ...]
    check_against: Ident | None = None
    """An entered item that must agree with the derived value, else a data query opens."""


class Item(Frozen):
    id: Ident
    label: Text
    type: ItemType
    unit: OptionalText | None = None
    range: Range | None = None
    codelist: Ident | None = None
    required: Flag = False
    derived: Derivation | None = None
    help: OptionalText | None = None

    @model_validator(mode="after")
    def _type_fits(self) -> Item:
        if self.type == "choice" and self.codelist is None:
            raise ValueError("a choice item needs a codelist")
        if self.type != "choice" and self.codelist is not None:
            raise ValueError("only choice items take a codelist")
        if self.range is not None and self.type not in ("integer", "decimal"):
            raise ValueError("only numeric items take a range")
        if self.derived is not None and self.required:
            raise ValueError("a derived item is computed, so it cannot be required")
        return self


class Form(Frozen):
    id: Ident
    name: Text
    items: tuple[Item, ...] = Field(min_length=1)
    repeating: Flag = False
    """A repeating form (adverse events, relapses) may be saved many times per visit."""
    signature_required: Flag = False

    @model_validator(mode="after")
    def _unique_items(self) -> Form:
        repeated = duplicates([i.id for i in self.items])
        if repeated:
            raise ValueError(f"item id repeated: {', '.join(repeated)}")
        return self


class CodeListItem(Frozen):
    code: Text
    decode: Text


class CodeList(Frozen):
    id: Ident
    name: Text
    data_type: Literal["text", "integer"] = "text"
    items: tuple[CodeListItem, ...] = Field(min_length=1)


class Window(Frozen):
    before: NonNegativeInt = 0
    after: NonNegativeInt = 0


class Visit(Frozen):
    id: Ident
    name: Text
    day: Int | None
    """Target study day (day 0 = the design's ``day_zero`` administration); null if unscheduled."""
    window: Window = Window()
    forms: tuple[Ident, ...] = ()
    purpose: OptionalText | None = None
    unscheduled: Flag = False

    @model_validator(mode="after")
    def _unscheduled_has_no_day(self) -> Visit:
        if self.unscheduled != (self.day is None):
            raise ValueError("a visit has a day exactly when it is not unscheduled")
        return self


class Schedule(Frozen):
    visits: tuple[Visit, ...] = Field(min_length=1)
    safety_timepoint: Ident | None = None
    """Visit at which the safety committee assesses each participant."""
