"""Oracle: the CDISC pilot CSR Table 14-3.01 (ADAS-Cog(11) change at week 24, LOCF), as
published in RConsortium/submissions-pilot1 output/tlf-primary.rtf: ANCOVA with treatment
and site group as factors and the baseline as covariate. Numbers are compared at the
precision printed there."""

from __future__ import annotations

import numpy as np
import pytest

from trialkit.core.analysis import AllOf, AnalysisInputError, Condition, Table, ancova
from trialkit.core.analysis.subsets import select

PRIMARY = AllOf((Condition("PARAMCD", "EQ", ("ACTOT",)), Condition("AVISIT", "EQ", ("Week 24",)),
                 Condition("EFFFL", "EQ", ("Y",)), Condition("ANL01FL", "EQ", ("Y",))))
HIGH, LOW = "Xanomeline High Dose", "Xanomeline Low Dose"


@pytest.fixture(scope="module")
def primary(adadas):
    return ancova(select(adadas, PRIMARY), response="CHG", treatment="TRTP",
                  reference="Placebo", factors=["SITEGR1"], covariates=["BASE"],
                  comparisons=[(HIGH, "Placebo"), (LOW, "Placebo"), (HIGH, LOW)])


def printed(estimate, decimals):
    return round(estimate, decimals)


def test_the_csr_numbers_of_participants_per_arm_are_reproduced(primary):
    assert dict(primary.n_by_arm) == {"Placebo": 79, HIGH: 74, LOW: 81}
    assert primary.notes == ()


@pytest.mark.parametrize(("label", "difference", "se", "lower", "upper", "p"), [
    (f"{HIGH} - Placebo", -1.0, 0.84, -2.7, 0.7, 0.233),
    (f"{LOW} - Placebo", -0.5, 0.82, -2.1, 1.1, 0.569),
    (f"{HIGH} - {LOW}", -0.5, 0.84, -2.2, 1.1, 0.520)])
def test_each_published_ls_mean_difference_is_reproduced_to_the_printed_digit(
        primary, label, difference, se, lower, upper, p):
    found = next(d for d in primary.differences if d.label == label)
    assert (printed(found.estimate, 1), printed(found.se, 2)) == (difference, se)
    assert (printed(found.ci_lower, 1), printed(found.ci_upper, 1)) == (lower, upper)
    assert printed(found.p_value, 3) == p
    # 234 participants − 14 parameters (intercept, 2 arms, 10 of 11 site groups, baseline)
    assert found.df == 220


def test_ls_means_average_the_site_groups_equally_and_take_the_mean_baseline(primary, adadas):
    data = select(adadas, PRIMARY)
    sites = sorted(set(data.text("SITEGR1")))
    placebo = next(m for m in primary.lsmeans if m.label == "Placebo")
    coefficients = {c.label: c.estimate for c in primary.coefficients}
    by_hand = (coefficients["(Intercept)"]
               + sum(coefficients.get(f"SITEGR1={s}", 0.0) for s in sites) / len(sites)
               + coefficients["BASE"] * float(np.mean(data.numeric("BASE"))))
    assert placebo.estimate == pytest.approx(by_hand, abs=1e-12)


def test_rows_missing_the_response_or_a_covariate_are_left_out_with_a_note():
    data = Table({"ARM": ["A", "A", "B", "B", "A", "B"],
                  "Y": np.array([1.0, 2.0, 3.0, np.nan, 1.5, 4.0]),
                  "BASE": np.array([0.0, 1.0, 0.5, 1.0, np.nan, 2.0])})
    result = ancova(data, response="Y", treatment="ARM", reference="A", covariates=["BASE"])
    assert result.n == 4
    assert result.notes == ("1 row(s) without 'Y' were left out",
                            "1 row(s) without 'BASE' were left out")


def test_a_factor_confounded_with_the_arm_is_refused_naming_the_column():
    data = Table({"ARM": ["A", "A", "B", "B"], "SITE": ["1", "1", "2", "2"],
                  "Y": np.array([1.0, 2.0, 3.0, 4.0])})
    with pytest.raises(AnalysisInputError, match="SITE=2"):
        ancova(data, response="Y", treatment="ARM", reference="A", factors=["SITE"])


def test_a_stratum_with_one_level_left_is_dropped_with_a_note():
    data = Table({"ARM": ["A", "A", "B", "B"], "STRATUM": ["RRMS"] * 4,
                  "Y": np.array([1.0, 2.0, 3.0, 5.0])})
    result = ancova(data, response="Y", treatment="ARM", reference="A", factors=["STRATUM"])
    assert result.differences[0].estimate == pytest.approx(2.5)
    assert "factor 'STRATUM' has a single level" in result.notes[0]


def test_a_single_arm_cannot_be_compared():
    data = Table({"ARM": ["A", "A"], "Y": np.array([1.0, 2.0])})
    with pytest.raises(AnalysisInputError, match="single arm"):
        ancova(data, response="Y", treatment="ARM", reference="A")


def test_without_residual_degrees_of_freedom_there_is_no_standard_error():
    data = Table({"ARM": ["A", "B"], "Y": np.array([1.0, 2.0])})
    result = ancova(data, response="Y", treatment="ARM", reference="A")
    (difference,) = result.differences
    assert (difference.estimate, difference.se, difference.p_value) == (
        pytest.approx(1.0), None, None)
    assert result.notes == ("no residual degrees of freedom: standard errors are undefined",)
