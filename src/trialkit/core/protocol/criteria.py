"""Who may take part: demographics limits, criteria with their executable rules, value sets."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from trialkit.core.protocol._base import (
    Flag,
    Frozen,
    Ident,
    NonNegativeInt,
    Number,
    OptionalText,
    Text,
)
from trialkit.core.protocol.analyses import Analysis


class Criterion(Frozen):
    id: Ident
    kind: Literal["inclusion", "exclusion"]
    text: Text
    """Verbatim registry text."""
    rule: OptionalText | None = None
    """The criterion as an expression of the criteria language; null = still needs a rule."""
    reading: OptionalText | None = None
    """How the rule reads the text, where the text is open to interpretation."""


class FallbackUln(Frozen):
    """Upper limit of normal used when a lab result carries no reference range of its own."""

    test: Text
    """LOINC code, e.g. ``LOINC:1920-8``."""
    value: Number
    unit: Text
    source: Text


class Eligibility(Frozen):
    minimum_age_years: NonNegativeInt | None = None
    maximum_age_years: NonNegativeInt | None = None
    sex: Literal["ALL", "FEMALE", "MALE"]
    healthy_volunteers: Flag
    screening_window_days: NonNegativeInt = 28
    """Labs and EDSS count only if taken within this many days before the index date."""
    fallback_uln: tuple[FallbackUln, ...] = ()
    criteria: tuple[Criterion, ...] = Field(min_length=1)


class ValueSet(Frozen):
    """A named set of codes of one code kind of the patient record: diagnosis codes (ICD-10
    prefixes, SNOMED), drug ingredients, LOINC lab tests, or a kind a protocol table declares."""

    id: Ident
    kind: Ident
    description: Text
    codes: tuple[Text, ...] = Field(min_length=1)
    source: OptionalText | None = None


class Endpoint(Frozen):
    id: Ident
    kind: Literal["primary", "secondary", "exploratory"]
    name: Text
    description: Text
    time_frame: Text
    analysis: OptionalText | None = None
    """A name for the planned analysis, as files said before analyses were data; nothing
    runs it (``trialkit analyze`` lists such an endpoint as not declared)."""
    analyses: tuple[Analysis, ...] = ()
    """The endpoint's analyses as data (ARS-shaped; docs/analysis.md)."""
