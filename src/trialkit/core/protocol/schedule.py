"""The schedule of activities: visits, their windows, the forms they ask for, their period."""

from __future__ import annotations

from pydantic import Field, model_validator

from trialkit.core.protocol._base import (
    Flag,
    Frozen,
    Ident,
    Int,
    NonNegativeInt,
    OptionalText,
    Text,
)


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
    period: Ident | None = None
    """The treatment period (of a crossover part) the visit belongs to; the first visit of a
    period starts it."""

    @model_validator(mode="after")
    def _unscheduled_has_no_day(self) -> Visit:
        if self.unscheduled != (self.day is None):
            raise ValueError("a visit has a day exactly when it is not unscheduled")
        return self


class Schedule(Frozen):
    visits: tuple[Visit, ...] = Field(min_length=1)
    safety_timepoint: Ident | None = None
    """Visit at which the safety committee assesses each participant."""
