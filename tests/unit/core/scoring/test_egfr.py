"""CKD-EPI 2021 creatinine eGFR against worked examples computed by hand from the equation."""

from __future__ import annotations

import pytest

from trialkit.core.scoring.checks import ScoringInputError
from trialkit.core.scoring.egfr import ckd_epi_2021, creatinine_mg_dl


def test_a_fifty_year_old_man_with_creatinine_one_mg_dl_has_an_egfr_of_92():
    # Scr/k = 1.0/0.9 > 1, so only the max() term applies: 142 x 1.111^-1.2 x 0.9938^50.
    expected = 142 * (1.0 / 0.9) ** -1.200 * 0.9938 ** 50
    assert ckd_epi_2021(1.0, "mg/dL", 50, "male") == pytest.approx(expected, rel=1e-12)
    assert round(ckd_epi_2021(1.0, "mg/dL", 50, "male")) == 92


def test_a_sixty_year_old_woman_below_kappa_uses_the_female_alpha_and_factor():
    # Scr/k = 0.6/0.7 < 1, so only the min() term applies, with a = -0.241 and x 1.012.
    expected = 142 * (0.6 / 0.7) ** -0.241 * 0.9938 ** 60 * 1.012
    assert ckd_epi_2021(0.6, "mg/dL", 60, "female") == pytest.approx(expected, rel=1e-12)
    assert round(ckd_epi_2021(0.6, "mg/dL", 60, "female")) == 103


def test_creatinine_in_micromoles_is_converted_before_the_equation():
    # 176.8 umol/L is 2.0 mg/dL: 142 x (2.0/0.9)^-1.2 x 0.9938^70 = 35.2 for a 70-year-old man.
    assert creatinine_mg_dl(176.8, "µmol/L") == pytest.approx(2.0)
    assert ckd_epi_2021(176.8, "umol/L", 70, "male") == pytest.approx(
        ckd_epi_2021(2.0, "mg/dL", 70, "male"))
    assert round(ckd_epi_2021(176.8, "µmol/L", 70, "male")) == 35


def test_at_creatinine_equal_to_kappa_both_ratio_terms_are_one():
    assert ckd_epi_2021(0.7, "mg/dL", 40, "female") == pytest.approx(142 * 0.9938 ** 40 * 1.012)
    assert ckd_epi_2021(0.9, "mg/dL", 40, "male") == pytest.approx(142 * 0.9938 ** 40)


def test_egfr_falls_as_creatinine_or_age_rises():
    assert ckd_epi_2021(1.2, "mg/dL", 50, "female") < ckd_epi_2021(1.1, "mg/dL", 50, "female")
    assert ckd_epi_2021(1.1, "mg/dL", 51, "female") < ckd_epi_2021(1.1, "mg/dL", 50, "female")


@pytest.mark.parametrize(("args", "field"), [
    ((1.0, "mmol/L", 50, "male"), "creatinine_unit"),
    ((0, "mg/dL", 50, "male"), "creatinine"),
    ((-1.0, "mg/dL", 50, "male"), "creatinine"),
    ((88.4, "mg/dL", 50, "male"), "creatinine"),     # umol/L entered under mg/dL
    ((1.0, "mg/dL", 17, "male"), "age"),
    ((1.0, "mg/dL", 50, "M"), "sex"),
    (("1.0", "mg/dL", 50, "male"), "creatinine"),
])
def test_bad_input_is_refused_naming_the_field(args, field):
    with pytest.raises(ScoringInputError) as caught:
        ckd_epi_2021(*args)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
