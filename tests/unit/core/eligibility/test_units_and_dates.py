"""Unit conversion through the lab catalogue, and calendar arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from trialkit.core.eligibility import units
from trialkit.core.eligibility.dates import add_months, completed_years
from trialkit.core.eligibility.explain import lab_names
from trialkit.core.protocol.labs import LabTest, packaged_catalogue

CATALOGUE = packaged_catalogue()


def convert(value: float, test: str | None, source: str, target: str) -> float:
    return units.convert(CATALOGUE, value, test, source, target)


def test_glucose_converts_with_the_molar_factor_18_016():
    assert convert(1.0, "LOINC:1558-6", "mmol/L", "mg/dL") == pytest.approx(18.016)
    assert convert(250.0, "LOINC:1558-6", "mg/dL", "mmol/L") == pytest.approx(13.877, abs=1e-3)


def test_enzyme_activity_converts_between_katal_and_units():
    assert convert(1.0, "LOINC:1920-8", "µkat/L", "U/L") == pytest.approx(60.0)


def test_a_scaled_spelling_converts_by_its_factor():
    assert convert(1.0, "LOINC:2118-8", "IU/mL", "mIU/mL") == pytest.approx(1000.0)


def test_ucum_spellings_are_accepted_as_aliases():
    assert units.normalize(CATALOGUE, "mL/min/{1.73_m2}", "LOINC:98979-8") == "mL/min/1.73m2"
    assert units.normalize(CATALOGUE, "[IU]/L") == "IU/L"


def test_an_unknown_or_foreign_unit_is_an_error():
    with pytest.raises(units.UnitError, match="unknown unit"):
        units.normalize(CATALOGUE, "furlongs")
    with pytest.raises(units.UnitError, match="not a unit of LOINC:5902-2"):
        units.normalize(CATALOGUE, "mg/dL", "LOINC:5902-2")
    with pytest.raises(units.UnitError, match="cannot convert"):
        convert(1.0, None, "s", "mg/dL")


def test_a_protocol_test_added_to_the_catalogue_converts_by_its_own_molar_factor():
    extended = CATALOGUE.extended((LabTest(code="LOINC:1-8", name="Made-up analyte",
                                           short="made-up", units=("mg/dL", "mmol/L"),
                                           molar_factor=10.0),))
    assert units.convert(extended, 2.0, "LOINC:1-8", "mmol/L", "mg/dL") == pytest.approx(20.0)
    assert units.short_names(extended)["LOINC:1-8"] == "made-up"


def test_explanations_name_tests_by_the_catalogues_short_names():
    assert lab_names()["LOINC:5902-2"] == "PT"
    assert lab_names()["LOINC:1558-6"] == "fasting glucose"


@given(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)), st.integers(-600, 600))
def test_add_months_agrees_with_relativedelta(day, months):
    assert add_months(day, months) == day + relativedelta(months=months)


@given(st.dates(dt.date(1900, 1, 1), dt.date(2050, 12, 31)),
       st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)))
def test_completed_years_agree_with_relativedelta(birth, on):
    if on >= birth:
        assert completed_years(birth, on) == relativedelta(on, birth).years
