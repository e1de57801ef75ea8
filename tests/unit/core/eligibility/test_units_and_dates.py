"""Unit conversion tables and calendar arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from trialkit.core.eligibility.dates import add_months, completed_years
from trialkit.core.eligibility.units import UnitError, convert, normalize


def test_glucose_converts_with_the_molar_factor_18_016():
    assert convert(1.0, "LOINC:1558-6", "mmol/L", "mg/dL") == pytest.approx(18.016)
    assert convert(250.0, "LOINC:1558-6", "mg/dL", "mmol/L") == pytest.approx(13.877, abs=1e-3)


def test_enzyme_activity_converts_between_katal_and_units():
    assert convert(1.0, "LOINC:1920-8", "µkat/L", "U/L") == pytest.approx(60.0)


def test_ucum_spellings_are_accepted_as_aliases():
    assert normalize("mL/min/{1.73_m2}", "LOINC:98979-8") == "mL/min/1.73m2"
    assert normalize("[IU]/L") == "IU/L"


def test_an_unknown_or_foreign_unit_is_an_error():
    with pytest.raises(UnitError, match="unknown unit"):
        normalize("furlongs")
    with pytest.raises(UnitError, match="not a unit of LOINC:5902-2"):
        normalize("mg/dL", "LOINC:5902-2")
    with pytest.raises(UnitError, match="cannot convert"):
        convert(1.0, None, "s", "mg/dL")


@given(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)), st.integers(-600, 600))
def test_add_months_agrees_with_relativedelta(day, months):
    assert add_months(day, months) == day + relativedelta(months=months)


@given(st.dates(dt.date(1900, 1, 1), dt.date(2050, 12, 31)),
       st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)))
def test_completed_years_agree_with_relativedelta(birth, on):
    if on >= birth:
        assert completed_years(birth, on) == relativedelta(on, birth).years
