"""exists / count / latest / earliest, with nulls and same-day ties."""

from __future__ import annotations

from tests.spec.support import Engine, check_table, patient
from trialkit.core.eligibility import nodes as n

ACTIVE_MRI = n.Exists(n.Events("mri_scans", n.Window(months=12), n.RowOr((
    n.FieldCompare("gd_enhancing_lesions", ">=", 1), n.FieldCompare("new_t2_lesions", ">=", 1)))))
LATEST_EDSS = n.Latest(n.Events("edss", n.Window(days=28)), "score")
EARLIEST_EDSS = n.Earliest(n.Events("edss", n.Window(months=24)), "score")
COURSE = n.CodeSet("course", "diagnosis", ("SNOMED:426373005", "SNOMED:425500002"))
RRMS = n.CodeSet("rrms", "diagnosis", ("SNOMED:426373005",))


def mri(pid: str, gd: int | None, t2: int | None) -> object:
    scan = {"date": "2026-06-01", "gd_enhancing_lesions": gd, "new_t2_lesions": t2}
    return patient(pid, mri_scans=[{k: v for k, v in scan.items() if v is not None}])


def edss(pid: str, *scores: tuple[str, float]) -> object:
    return patient(pid, edss=[{"date": day, "score": score} for day, score in scores])


def test_a_row_condition_on_a_missing_count_is_unknown(engine: Engine) -> None:
    check_table(engine, ACTIVE_MRI, [
        (mri("gd", 1, 0), "met"),
        (mri("t2_only", None, 2), "met"),
        (mri("quiet", 0, 0), "not_met"),
        (mri("not_assessed", None, None), "unknown"),
        (mri("gd_missing_t2_zero", None, 0), "unknown"),
        (patient("no_scan"), "not_met"),
    ])


def test_latest_takes_the_last_date_in_the_window(engine: Engine) -> None:
    rule = n.Compare(LATEST_EDSS, "<=", n.Number(6.5))
    check_table(engine, rule, [
        (edss("improved", ("2026-10-30", 7.0), ("2026-11-10", 6.0)), "met"),
        (edss("worsened", ("2026-10-30", 6.0), ("2026-11-10", 7.0)), "not_met"),
        (edss("too_old", ("2026-09-01", 3.0)), "unknown"),
        (patient("none"), "unknown"),
    ])


def test_same_day_results_decide_only_when_they_agree(engine: Engine) -> None:
    rule = n.Compare(LATEST_EDSS, "<=", n.Number(6.5))
    check_table(engine, rule, [
        (edss("agree", ("2026-11-10", 3.0), ("2026-11-10", 3.5)), "met"),
        (edss("disagree", ("2026-11-10", 6.0), ("2026-11-10", 7.0)), "unknown"),
        (edss("agree_fail", ("2026-11-10", 7.0), ("2026-11-10", 7.5)), "not_met"),
    ])


def test_earliest_takes_the_first_date_in_the_window(engine: Engine) -> None:
    rule = n.Compare(EARLIEST_EDSS, "<", n.Number(4))
    check_table(engine, rule, [
        (edss("first_low", ("2025-01-01", 3.0), ("2026-11-10", 6.0)), "met"),
        (edss("first_high", ("2025-01-01", 5.0), ("2026-11-10", 2.0)), "not_met"),
        (edss("outside", ("2024-01-01", 3.0), ("2026-11-10", 6.0)), "not_met"),
    ])


def test_the_latest_code_decides_membership_of_a_value_set(engine: Engine) -> None:
    rule = n.InSet(n.Latest(n.Events("diagnoses", None, n.InCodes(COURSE)), "code"), RRMS)
    check_table(engine, rule, [
        (patient("rrms", diagnoses=[{"code": "SNOMED:426373005", "date": "2016-03-01"}]),
         "met"),
        (patient("converted", diagnoses=[{"code": "SNOMED:426373005", "date": "2016-03-01"},
                                         {"code": "SNOMED:425500002", "date": "2023-01-01"}]),
         "not_met"),
        (patient("course_unknown", diagnoses=[{"code": "ICD10:G35", "date": "2016-03-01"}]),
         "unknown"),
    ])


def test_icd10_codes_match_by_prefix_and_snomed_codes_exactly(engine: Engine) -> None:
    codes = n.CodeSet("set", "diagnosis", ("ICD10:C", "SNOMED:254837009"))
    rule = n.Exists(n.Events("diagnoses", None, n.InCodes(codes)))
    check_table(engine, rule, [
        (patient("icd_child", diagnoses=[{"code": "ICD10:C50.9", "date": "2012-01-10"}]),
         "met"),
        (patient("icd_other", diagnoses=[{"code": "ICD10:D05.1", "date": "2012-01-10"}]),
         "not_met"),
        (patient("snomed", diagnoses=[{"code": "SNOMED:254837009", "date": "2012-01-10"}]),
         "met"),
        (patient("snomed_other", diagnoses=[{"code": "SNOMED:2548370091", "date": "2012-01-10"}]),
         "not_met"),
    ])


def test_text_comparisons_and_sex(engine: Engine) -> None:
    rule = n.Compare(n.Sex(), "==", n.Text("female"))
    check_table(engine, rule, [
        (patient("f"), "met"), (patient("m", sex="male"), "not_met"),
        (patient("unknown_sex", sex=None), "unknown"),
    ])
