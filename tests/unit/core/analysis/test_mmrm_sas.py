"""Oracle: SAS PROC MIXED on the mmrm package's FEV1 data (REML, UN, Satterthwaite).

Two SAS listings (tests/fixtures/analysis/sas/, excerpts of openpharma/mmrm's design files)
are parsed here, never copied by hand: the README's model FEV1 ~ ARMCD + SEX (visit in the
REPEATED statement only, so it indexes the covariance but is no fixed effect) and the usual
trial model FEV1 ~ ARMCD * AVISIT + RACE + SEX. With ``stop="sas"`` trialkit follows SAS's
iterations and must print what SAS printed; the default fit goes on to the exact optimum,
which lies 7.7e-6 (first model) below SAS's −2 l_R, and must agree with SAS within that
slack and with R nlme::gls (committed in r/mmrm-gls.csv), which stops nearer still.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from tests.unit.core.analysis.conftest import ANALYSIS, R_OUTPUT, read_csv
from trialkit.core.analysis import Table, mmrm

MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "armcd-sex": ("fev-reml-un-armcd-sex.txt", {"factors": {"SEX": "Male"},
                                                    "visit_effect": False}),
    "full": ("fev-reml-un-full.txt", {"factors": {"RACE": "Asian", "SEX": "Male"}}),
}


@dataclass(frozen=True)
class Printed:
    """A number as SAS printed it, with the precision it was printed to."""

    text: str

    @property
    def value(self) -> float:
        return float(self.text)

    def matches(self, computed: float) -> bool:
        decimals = len(self.text.partition(".")[2])
        return abs(computed - self.value) <= 0.5 * 10 ** -decimals + 1e-9


@dataclass(frozen=True)
class Listing:
    visits: tuple[str, ...]
    minus_two_reml: Printed
    fit: dict[str, Printed]
    covariance: dict[tuple[str, str], Printed]
    fixed: dict[str, tuple[Printed, Printed, int, Printed]]
    observations_used: int
    subjects: int


def our_label(effect: str, levels: list[str]) -> str:
    if effect == "Intercept":
        return "(Intercept)"
    named = dict(zip(effect.split("*"), levels, strict=True))
    return ":".join(f"{name}={named[name]}" for name in ("ARMCD", "RACE", "SEX", "AVISIT")
                    if name in named)


def first(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found is not None, pattern
    return found.group(1)


def parse(name: str) -> Listing:
    text = (ANALYSIS / "sas" / name).read_text(encoding="utf-8")
    visits = tuple(first(r"AVISIT\s+4\s+(.+)", text).split())
    history = re.findall(r"^\s+\d+\s+\d+\s+(\d+\.\d+)", text, re.MULTILINE)
    fit = {key: Printed(value) for key, value in re.findall(
        r"(AIC|BIC) \(Smaller is Better\)\s+(\S+)", text)}
    covariance = {}
    for i, j, value in re.findall(r"UN\((\d),(\d)\)\s+USUBJID\s+(\S+)", text):
        covariance[(visits[int(i) - 1], visits[int(j) - 1])] = Printed(value)
    fixed = {}
    solution = text.split("Solution for Fixed Effects")[1]
    row = re.compile(r"^\s+(\S+)\s+(.*?)\s+(-?\d*\.\d+)\s+(\d+\.\d+)\s+(\d+)\s+(-?\d+\.\d+)",
                     re.MULTILINE)
    for effect, levels, estimate, se, df, t in row.findall(solution):
        levels_list = re.split(r"\s{2,}", levels.strip()) if levels.strip() else []
        fixed[our_label(effect, levels_list)] = (Printed(estimate), Printed(se), int(df),
                                                 Printed(t))
    used = int(first(r"Observations Used\s+(\d+)", text))
    subjects = int(first(r"Subjects\s+(\d+)", text))
    return Listing(visits, Printed(history[-1]), fit, covariance, fixed, used, subjects)


def fit(fev: Table, model: str, stop: Literal["sas", "optimum"]):
    return mmrm(fev, response="FEV1", subject="USUBJID", visit="AVISIT", treatment="ARMCD",
                reference="PBO", stop=stop, **MODELS[model][1])


@pytest.fixture(scope="module")
def fits(fev):
    return {(model, stop): fit(fev, model, stop) for model in MODELS
            for stop in ("sas", "optimum")}


def sigma(result, row: str, column: str) -> float:
    return result.covariance[result.visits.index(row)][result.visits.index(column)]


def test_the_parsed_listings_hold_what_the_readme_quotes():
    listing = parse(MODELS["armcd-sex"][0])
    assert listing.minus_two_reml.text == "3666.96698281"
    assert listing.fixed["ARMCD=TRT"][0].text == "3.8265"
    assert listing.covariance[("VIS4", "VIS4")].text == "152.49"
    assert len(parse(MODELS["full"][0]).fixed) == 11


@pytest.mark.parametrize("model", MODELS)
def test_following_sas_iterations_reproduces_every_printed_fixed_effect(fits, model):
    listing, result = parse(MODELS[model][0]), fits[(model, "sas")]
    ours = {c.label: c for c in result.coefficients}
    assert set(ours) == set(listing.fixed)
    for label, (estimate, se, df, t) in listing.fixed.items():
        found = ours[label]
        assert estimate.matches(found.estimate), (label, found.estimate, estimate.text)
        assert se.matches(found.se), (label, found.se, se.text)
        assert round(found.df) == df, (label, found.df, df)
        assert t.matches(found.statistic), (label, found.statistic, t.text)


@pytest.mark.parametrize("model", MODELS)
def test_following_sas_iterations_reproduces_every_printed_covariance_parameter(fits, model):
    listing, result = parse(MODELS[model][0]), fits[(model, "sas")]
    assert len(listing.covariance) == 10
    for (row, column), printed in listing.covariance.items():
        assert printed.matches(sigma(result, row, column)), (row, column, printed.text)


@pytest.mark.parametrize("model", MODELS)
def test_following_sas_iterations_reproduces_the_reml_log_likelihood_and_fit_statistics(
        fits, model):
    listing, result = parse(MODELS[model][0]), fits[(model, "sas")]
    assert result.minus_two_reml_log_likelihood == pytest.approx(
        listing.minus_two_reml.value, abs=1e-6)
    assert listing.fit["AIC"].matches(result.aic)
    assert listing.fit["BIC"].matches(result.bic)
    assert (result.n_observations, result.n_subjects_read) == (
        listing.observations_used, listing.subjects)
    assert result.converged


@pytest.mark.parametrize("model", MODELS)
def test_the_exact_optimum_lies_just_below_sas_and_agrees_within_its_slack(fits, model):
    listing, result = parse(MODELS[model][0]), fits[(model, "optimum")]
    gap = listing.minus_two_reml.value - result.minus_two_reml_log_likelihood
    assert 0 < gap < 1e-4
    ours = {c.label: c for c in result.coefficients}
    for label, (estimate, se, df, _) in listing.fixed.items():
        assert ours[label].estimate == pytest.approx(estimate.value, abs=1e-3), label
        assert ours[label].se == pytest.approx(se.value, abs=1e-3), label
        assert abs(ours[label].df - df) < 1, label
    for (row, column), printed in listing.covariance.items():
        assert sigma(result, row, column) == pytest.approx(printed.value, abs=0.02)


@pytest.mark.parametrize("model", MODELS)
def test_the_exact_optimum_agrees_with_r_nlme_gls_and_is_no_worse(fits, model):
    rows = [r for r in read_csv(R_OUTPUT / "mmrm-gls.csv") if r["model"] == model]
    result = fits[(model, "optimum")]
    nlme = float(rows[0]["minus_two_reml_log_likelihood"])
    assert result.minus_two_reml_log_likelihood <= nlme + 1e-9
    assert result.minus_two_reml_log_likelihood == pytest.approx(nlme, abs=1e-6)
    ours = {c.label.replace("=", ""): c for c in result.coefficients}  # R's term names
    for row in rows:
        term = row["term"]
        found = ours[term]
        assert found.estimate == pytest.approx(float(row["estimate"]), abs=5e-4), term
        assert found.se == pytest.approx(float(row["se"]), abs=5e-4), term
    assert sigma(result, "VIS1", "VIS1") == pytest.approx(float(rows[0]["sigma11"]), abs=0.01)
    assert sigma(result, "VIS4", "VIS1") == pytest.approx(float(rows[0]["sigma41"]), abs=0.01)
