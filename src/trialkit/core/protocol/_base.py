"""Building blocks shared by every part of the protocol model.

Every model is frozen (a loaded protocol is a value, never mutated) and forbids unknown keys
(a typo in a protocol file must be an error, not silently ignored). Scalars are strict where a
silent coercion would hide a mistake: ``"6"`` is not an integer and ``1`` is not ``true``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

Text = Annotated[str, Strict(), StringConstraints(min_length=1)]
OptionalText = Annotated[str, Strict()]
Int = Annotated[int, Strict()]
NonNegativeInt = Annotated[int, Strict(), Field(ge=0)]
PositiveInt = Annotated[int, Strict(), Field(gt=0)]
Number = Annotated[float, Strict()]
Flag = Annotated[bool, Strict()]
# Identifiers appear in URLs, file names and expressions, so they stay simple.
Ident = Annotated[str, Strict(), StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")]


class Frozen(BaseModel):
    """Base of every protocol model: immutable, strict about unknown keys."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_default=True,
        use_attribute_docstrings=True,
    )


def duplicates(values: list[str] | tuple[str, ...]) -> list[str]:
    """Values that occur more than once, in first-seen order."""
    seen: set[str] = set()
    repeated: list[str] = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated
