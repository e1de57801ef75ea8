"""Each criterion of NCT05532943 on a patient that meets it, one that fails it, one left unknown."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.core.eligibility.reference_patient import attesting, eligible, with_lab
from trialkit.core.eligibility.compile import compile_criteria, screen
from trialkit.core.eligibility.record import parse_record_for

EARLY_END = {"start": "1984-05-12", "end": "2026-10-01"}
FROM_2005 = {"start": "2005-01-01", "end": "2026-11-20"}
SPMS = [{"code": "SNOMED:426373005", "date": "2012-03-01"},
        {"code": "SNOMED:425500002", "date": "2022-01-01"}]

CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("I1", "willing", eligible(), "met"),
    ("I1", "unwilling", attesting(willing_to_consent=False), "not_met"),
    ("I1", "not_asked", attesting(willing_to_consent=None), "unknown"),
    ("I2", "aged_42", eligible(), "met"),
    ("I2", "aged_19", eligible(birth_date="2007-01-01"), "not_met"),
    ("I2", "no_birth_date", eligible(birth_date=None), "unknown"),
    ("I3", "active_rrms", eligible(), "met"),
    ("I3", "spms_worsening_with_relapse",
     eligible(diagnoses=SPMS, edss=[{"date": "2025-01-10", "score": 4.0},
                                    {"date": "2026-11-05", "score": 5.0}]), "met"),
    ("I3", "quiet_rrms", eligible(relapses=[], mri_scans=[{"date": "2026-05-10",
                                  "gd_enhancing_lesions": 0, "new_t2_lesions": 0}]), "not_met"),
    ("I3", "spms_stable", eligible(diagnoses=SPMS, edss=[{"date": "2025-01-10", "score": 4.0},
                                                         {"date": "2026-11-05", "score": 4.5}]),
     "not_met"),
    ("I3", "course_not_coded", eligible(diagnoses=[{"code": "ICD10:G35", "date": "2016-03-01"}]),
     "unknown"),
    ("I4", "ten_years_edss_3_5", eligible(), "met"),
    ("I4", "edss_7", eligible(edss=[{"date": "2026-11-05", "score": 7.0}]), "not_met"),
    ("I4", "diagnosed_last_year", eligible(diagnoses=[{"code": "SNOMED:426373005",
                                                       "date": "2025-06-01"}]), "not_met"),
    ("I4", "edss_before_screening", eligible(edss=[{"date": "2026-09-01", "score": 3.5}]),
     "unknown"),
    ("I5", "normal_clotting", eligible(), "met"),
    ("I5", "pt_over_1_5_uln", with_lab("LOINC:5902-2", 25.0, "s", 13.5), "not_met"),
    ("I5", "no_aptt", with_lab("LOINC:14979-9", None), "unknown"),
    ("I6", "relapse_on_fingolimod", eligible(), "met"),
    ("I6", "never_treated", eligible(medications=[]), "not_met"),
    ("I6", "only_unassessed_mri_on_treatment",
     eligible(relapses=[], mri_scans=[{"date": "2026-05-10"}]), "unknown"),
    ("I7", "female_using_contraception", eligible(), "met"),
    ("I7", "male", eligible(sex="male"), "met"),
    ("I7", "female_refusing_contraception", attesting(agrees_to_contraception=False), "not_met"),
    ("I7", "childbearing_potential_not_stated",
     attesting(childbearing_potential=None, agrees_to_contraception=None), "unknown"),
    ("E1", "not_pregnant", eligible(), "not_met"),
    ("E1", "pregnant", attesting(pregnant=True), "met"),
    ("E1", "positive_hcg", with_lab("LOINC:2106-3", "positive"), "met"),
    ("E1", "pregnancy_not_asked", attesting(pregnant=None), "unknown"),
    ("E2", "normal_glucose", eligible(), "not_met"),
    ("E2", "glucose_300_mg_dl", with_lab("LOINC:1558-6", 300.0, "mg/dL"), "met"),
    ("E2", "glucose_15_mmol_l", with_lab("LOINC:1558-6", 15.0, "mmol/L"), "met"),
    ("E2", "no_glucose", with_lab("LOINC:1558-6", None), "unknown"),
    ("E3", "normal_liver_and_kidney", eligible(), "not_met"),
    ("E3", "alt_over_5_uln", with_lab("LOINC:1742-6", 250.0, "U/L", 40.0), "met"),
    ("E3", "egfr_25", with_lab("LOINC:98979-8", 25.0, "mL/min/1.73m2"), "met"),
    ("E3", "no_ast", with_lab("LOINC:1920-8", None), "unknown"),
    ("E4", "can_have_mri", eligible(), "not_met"),
    ("E4", "pacemaker", attesting(mri_contraindicated=True), "met"),
    ("E4", "not_asked", attesting(mri_contraindicated=None), "unknown"),
    ("E5", "no_history", eligible(), "not_met"),
    ("E5", "breast_cancer_history", eligible(diagnoses=[
        {"code": "SNOMED:426373005", "date": "2016-03-01"},
        {"code": "ICD10:C50.9", "date": "2012-01-10", "end_date": "2013-06-01"}]), "met"),
    ("E5", "polyneuropathy", eligible(diagnoses=[
        {"code": "SNOMED:426373005", "date": "2016-03-01"},
        {"code": "ICD10:G62.9", "date": "2020-01-10"}]), "met"),
    ("E5", "history_from_2005_only", eligible(observation_period=FROM_2005), "unknown"),
    ("E6", "not_immunocompromised", eligible(), "not_met"),
    ("E6", "hiv", eligible(diagnoses=[{"code": "SNOMED:426373005", "date": "2016-03-01"},
                                      {"code": "ICD10:B20", "date": "2019-01-10"}]), "met"),
    ("E6", "azathioprine_3_months_ago", eligible(medications=[
        {"ingredient": "fingolimod", "start_date": "2021-02-01", "end_date": None},
        {"ingredient": "azathioprine", "start_date": "2025-01-01", "end_date": "2026-08-20"}]),
     "met"),
    ("E6", "not_asked", attesting(immunocompromised=None), "unknown"),
    ("E7", "no_infection", eligible(), "not_met"),
    ("E7", "on_antibiotics", attesting(active_infection_systemic_treatment=True), "met"),
    ("E7", "not_asked", attesting(active_infection_systemic_treatment=None), "unknown"),
    ("E8", "no_other_trial", eligible(), "not_met"),
    ("E8", "other_trial_drug_this_month", eligible(medications=[
        {"ingredient": "investigational product", "start_date": "2026-11-01",
         "end_date": "2026-11-02"}]), "met"),
    ("E8", "history_ends_in_october", eligible(observation_period=EARLY_END), "unknown"),
    ("E9", "no_cytotoxics", eligible(), "not_met"),
    ("E9", "mitoxantrone_two_weeks_ago", eligible(medications=[
        {"ingredient": "mitoxantrone", "start_date": "2026-11-06", "end_date": "2026-11-06"}]),
     "met"),
    ("E9", "history_ends_in_october", eligible(observation_period=EARLY_END), "unknown"),
    ("E10", "last_relapse_in_april", eligible(), "not_met"),
    ("E10", "relapse_ten_days_ago", eligible(relapses=[{"onset_date": "2026-11-10"}]), "met"),
    ("E10", "history_ends_in_october", eligible(observation_period=EARLY_END), "unknown"),
    ("E11", "no_anti_cd20", eligible(), "not_met"),
    ("E11", "ocrelizumab_stopped_in_january", eligible(medications=[
        {"ingredient": "ocrelizumab", "start_date": "2023-01-01", "end_date": "2026-01-15"}]),
     "met"),
    ("E11", "ofatumumab_ongoing", eligible(medications=[
        {"ingredient": "ofatumumab", "start_date": "2024-01-01", "end_date": None}]), "met"),
    ("E11", "history_ends_in_october", eligible(observation_period=EARLY_END), "unknown"),
    ("E12", "suitable", eligible(), "not_met"),
    ("E12", "unsuitable", attesting(investigator_deems_unsuitable=True), "met"),
    ("E12", "not_judged", attesting(investigator_deems_unsuitable=None), "unknown"),
]


@pytest.fixture(scope="module")
def compiled(reference_protocol):
    return compile_criteria(reference_protocol)


@pytest.fixture(scope="module")
def parse_record(reference_protocol):
    """Records of the reference protocol's schema (its MS tables included)."""
    return lambda data: parse_record_for(data, reference_protocol)


@pytest.mark.parametrize(("criterion", "record", "expected"),
                         [pytest.param(c, r, e, id=f"{c}-{name}-{e}") for c, name, r, e in CASES])
def test_each_criterion_reads_the_record_as_the_protocol_says(compiled, parse_record, criterion,
                                                              record, expected):
    result = screen(compiled, parse_record(record))
    assert result.statuses()[criterion] == expected, result.to_json()["criteria"]


def test_every_criterion_is_covered_met_not_met_and_unknown():
    seen = {(c, e) for c, _, _, e in CASES}
    ids = [f"I{i}" for i in range(1, 8)] + [f"E{i}" for i in range(1, 13)]
    assert {(c, s) for c in ids for s in ("met", "not_met", "unknown")} <= seen


def test_the_reference_patient_is_eligible(compiled, parse_record):
    result = screen(compiled, parse_record(eligible()))
    assert result.verdict == "eligible", result.to_json()
    assert result.missing == ()


def test_an_incomplete_screening_lists_what_would_decide_it(compiled, parse_record):
    result = screen(compiled, parse_record(with_lab("LOINC:14979-9", None)))
    assert result.verdict == "incomplete"
    assert len(result.missing) == 1
    assert result.missing[0].startswith("I5: no APTT")
    assert "2026-10-24 to 2026-11-20" in result.missing[0]


def test_one_failed_criterion_makes_the_patient_ineligible_despite_unknowns(compiled,
                                                                            parse_record):
    record = attesting(willing_to_consent=False, mri_contraindicated=None)
    assert screen(compiled, parse_record(record)).verdict == "ineligible"
