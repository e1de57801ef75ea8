"""The laboratory catalogue: tests by LOINC code, their names, units and conversions.

Versioned reference data (``lab_catalogue.yaml``) that a protocol extends with tests of its
own (``lab_tests``). Units belong to a dimension with a factor to that dimension's base unit;
converting within a dimension multiplies by the ratio of factors. Mass and molar
concentrations of one analyte convert through its molar factor (mg/dL per mmol/L), which only
the test knows. A unit that is not in the catalogue is an error: a silent guess could turn an
abnormal result normal.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml
from pydantic import Field, model_validator

from trialkit.core.protocol._base import Flag, Frozen, Number, OptionalText, Text, duplicates


class UnitDef(Frozen):
    dimension: Text
    factor: Number = Field(gt=0)
    """This unit in the dimension's base unit (``mg/L`` is 0.1 ``mg/dL``)."""


class ScaledAlias(Frozen):
    """A spelling that is a multiple of a known unit (``IU/mL`` = 1000 ``mIU/mL``)."""

    unit: Text
    factor: Number = Field(gt=0)


class LabTest(Frozen):
    code: Text = Field(pattern=r"^LOINC:[0-9]{1,7}-[0-9]$")
    name: Text
    """As a person reads it: "Prothrombin time"."""
    short: Text
    """In a sentence: "PT", "fasting glucose"."""
    units: tuple[Text, ...] = ()
    """Units the test may be reported in; empty = any unit of the catalogue."""
    molar_factor: Number | None = Field(default=None, gt=0)
    """mg/dL per mmol/L, for analytes reported in mass and molar concentration."""
    qualitative: Flag = False
    """The result may be the text ``positive`` or ``negative`` instead of a number."""


class LabCatalogue(Frozen):
    version: Text
    source: OptionalText | None = None
    units: dict[Text, UnitDef]
    aliases: dict[Text, Text] = Field(default_factory=dict)
    """Other spellings of a unit (UCUM codes as FHIR and OMOP write them)."""
    scaled: dict[Text, ScaledAlias] = Field(default_factory=dict)
    tests: tuple[LabTest, ...]

    @model_validator(mode="after")
    def _references_hold(self) -> LabCatalogue:
        codes = [t.code for t in self.tests]
        if duplicates(codes):
            raise ValueError(f"test listed twice: {', '.join(duplicates(codes))}")
        for alias, unit in self.aliases.items():
            if unit not in self.units and unit not in self.scaled:
                raise ValueError(f"alias '{alias}' names unknown unit '{unit}'")
        for name, scaled in self.scaled.items():
            if scaled.unit not in self.units:
                raise ValueError(f"scaled unit '{name}' names unknown unit '{scaled.unit}'")
        for test in self.tests:
            unknown = [u for u in test.units if u not in self.units]
            if unknown:
                raise ValueError(f"{test.code}: unknown unit(s) {', '.join(unknown)}")
        return self

    def test(self, code: str) -> LabTest | None:
        return self._index().get(code)

    def _index(self) -> dict[str, LabTest]:
        return {t.code: t for t in self.tests}

    def extended(self, tests: tuple[LabTest, ...]) -> LabCatalogue:
        """The catalogue with a protocol's own tests added (a code may not be redefined)."""
        if not tests:
            return self
        clash = sorted({t.code for t in tests} & set(self._index()))
        if clash:
            raise ValueError(f"lab_tests: {', '.join(clash)} already in the lab catalogue "
                             f"{self.version}; use it as it is")
        return LabCatalogue(version=self.version, source=self.source, units=self.units,
                            aliases=self.aliases, scaled=self.scaled,
                            tests=(*self.tests, *tests))


@lru_cache(maxsize=1)
def packaged_catalogue() -> LabCatalogue:
    text = resources.files("trialkit.core.protocol").joinpath("lab_catalogue.yaml").read_text(
        encoding="utf-8")
    return LabCatalogue.model_validate(yaml.safe_load(text))
