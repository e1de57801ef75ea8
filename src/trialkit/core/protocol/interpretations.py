"""Readings and assumptions: every choice the registry record leaves open, named and justified."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from trialkit.core.protocol._base import Frozen, Ident, OptionalText, Text


class Interpretation(Frozen):
    """A reading of a stated rule or an assumption the record does not make.

    ``governs`` lists paths to the protocol settings that carry the chosen value, so a sponsor
    changes the value in one place and every screen and report shows the rationale beside it.
    Paths are dotted; list elements are addressed by id: ``design.parts[phase2a].enrolment_target``.
    """

    id: Ident
    kind: Literal["fact", "reading", "assumption"]
    statement: Text
    rationale: Text
    governs: tuple[Text, ...] = Field(default=())
    source: OptionalText | None = None
