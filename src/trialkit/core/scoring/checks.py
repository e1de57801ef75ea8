"""What the scoring functions share: input errors that name the field, and edit-check outcomes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from trialkit.core.wording import Wording, gettext_noop, worded


class ScoringInputError(ValueError):
    """An input a score cannot be computed from; ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.detail = message


def whole_number(value: object, field: str, low: int, high: int) -> int:
    """``value`` as an int in ``low..high``; integral floats pass because forms store decimals."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ScoringInputError(field, f"must be a whole number, got {value!r}")
    if isinstance(value, float | Decimal) and not (math.isfinite(value) and value == int(value)):
        raise ScoringInputError(field, f"must be a whole number, got {value!r}")
    number = int(value)
    if not low <= number <= high:
        raise ScoringInputError(field, f"must be between {low} and {high}, got {number}")
    return number


def positive_number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ScoringInputError(field, f"must be a number, got {value!r}")
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        raise ScoringInputError(field, f"must be a positive number, got {value!r}")
    return number


class Outcome(StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    RATER_JUDGEMENT = "rater_judgement"


@dataclass(frozen=True)
class EditCheck:
    """The verdict of comparing an entered value with the value computed from other items."""

    outcome: Outcome
    entered: float
    computed: float
    wording: Wording
    """The verdict in words, as a catalogue template (read in the reader's language)."""

    @property
    def message(self) -> str:
        return self.wording.text

    @property
    def opens_query(self) -> bool:
        """Only a disagreement opens a data query; rater judgement is a note for the monitor."""
        return self.outcome is Outcome.DISAGREE


def compare(entered: float, computed: float, band: tuple[float, float] | None,
            what: Wording, fmt: str = "g") -> EditCheck:
    """``entered`` against ``computed``; inside ``band`` (when given) a difference is tolerated."""
    shown, value = format(entered, fmt), format(computed, fmt)
    low, high = (format(band[0], fmt), format(band[1], fmt)) if band else ("", "")
    if entered == computed:
        return EditCheck(Outcome.AGREE, entered, computed, worded(gettext_noop(
            "%(what)s %(entered)s agrees with the computed %(computed)s"),
            what=what, entered=shown, computed=value))
    if band is not None and band[0] <= entered <= band[1]:
        return EditCheck(Outcome.RATER_JUDGEMENT, entered, computed, worded(gettext_noop(
            "%(what)s %(entered)s differs from the computed %(computed)s inside %(low)s–%(high)s, "
            "where published algorithms disagree: rater judgement, no query"),
            what=what, entered=shown, computed=value, low=low, high=high))
    return EditCheck(Outcome.DISAGREE, entered, computed, worded(gettext_noop(
        "%(what)s %(entered)s differs from the computed %(computed)s: please check the "
        "Functional System grades and the score"), what=what, entered=shown, computed=value))
