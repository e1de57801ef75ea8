"""Quantities convert between units; ULN ratios use the result's range, else the fallback."""

from __future__ import annotations

from tests.spec.support import Engine, check_table, patient
from trialkit.core.eligibility import nodes as n

SCREENING = n.Window(days=28, name="the screening window")


def lab_value(*tests: str) -> n.Latest:
    codes = n.CodeSet("lab", "lab", tests)
    return n.Latest(n.Events("labs", SCREENING, n.InCodes(codes)), "value")


def lab(pid: str, test: str, value: float | str | None, unit: str | None = None,
        uln: float | None = None, day: str = "2026-11-05") -> object:
    row = {"date": day, "test": test, "value": value, "unit": unit, "uln": uln}
    return patient(pid, labs=[{k: v for k, v in row.items() if v is not None}])


GLUCOSE = "LOINC:1558-6"


def test_glucose_compares_across_mass_and_molar_units(engine: Engine) -> None:
    rule = n.Compare(lab_value(GLUCOSE), ">", n.Quantity(250, "mg/dL"))
    check_table(engine, rule, [
        (lab("mg_over", GLUCOSE, 251, "mg/dL"), "met"),
        (lab("mg_equal", GLUCOSE, 250, "mg/dL"), "not_met"),
        (lab("mmol_over", GLUCOSE, 13.9, "mmol/L"), "met"),  # 250.4 mg/dL
        (lab("mmol_under", GLUCOSE, 13.8, "mmol/L"), "not_met"),  # 248.6 mg/dL
        (lab("no_value", GLUCOSE, None), "unknown"),
        (lab("stale", GLUCOSE, 400, "mg/dL", day="2026-09-01"), "unknown"),
    ])


def test_egfr_below_a_threshold(engine: Engine) -> None:
    rule = n.Compare(lab_value("LOINC:98979-8", "LOINC:62238-1"), "<",
                     n.Quantity(30, "mL/min/1.73m2"))
    check_table(engine, rule, [
        (lab("low", "LOINC:62238-1", 29.5, "mL/min/1.73m2"), "met"),
        (lab("ok", "LOINC:98979-8", 30, "mL/min/1.73m2"), "not_met"),
    ])


PT = "LOINC:5902-2"
PT_RULE = n.UlnCompare(lab_value(PT), "<=", 1.5, (n.UlnFallback(PT, 13.5, "s"),))


def test_a_ratio_uses_the_results_own_uln_first(engine: Engine) -> None:
    check_table(engine, PT_RULE, [
        (lab("at_limit", PT, 18.0, "s", uln=12.0), "met"),
        (lab("over_limit", PT, 18.1, "s", uln=12.0), "not_met"),
        (lab("fallback_ok", PT, 20.25, "s"), "met"),  # 1.5 × 13.5
        (lab("fallback_over", PT, 20.3, "s"), "not_met"),
        (lab("missing", PT, None), "unknown"),
    ])


def test_a_ratio_without_any_uln_is_unknown(engine: Engine) -> None:
    rule = n.UlnCompare(lab_value(PT), "<=", 1.5)
    check_table(engine, rule, [
        (lab("no_uln", PT, 12.0, "s"), "unknown"),
        (lab("own_uln", PT, 12.0, "s", uln=13.0), "met"),
    ])


def test_a_fallback_uln_is_converted_to_the_results_unit(engine: Engine) -> None:
    ast = "LOINC:1920-8"
    rule = n.UlnCompare(lab_value(ast), ">", 5, (n.UlnFallback(ast, 40.0, "U/L"),))
    check_table(engine, rule, [
        (lab("ukat_high", ast, 3.4, "µkat/L"), "met"),  # 204 U/L > 200
        (lab("ukat_ok", ast, 3.3, "µkat/L"), "not_met"),  # 198 U/L
        (lab("own_range", ast, 3.4, "µkat/L", uln=0.8), "not_met"),  # 4.25 × ULN
    ])


def test_a_qualitative_result_is_matched_as_text(engine: Engine) -> None:
    hcg = n.CodeSet("hcg", "lab", ("LOINC:2118-8", "LOINC:2106-3"))
    rule = n.Exists(n.Events("labs", SCREENING, n.RowAnd((
        n.InCodes(hcg), n.FieldCompare("value_text", "==", "positive")))))
    check_table(engine, rule, [
        (lab("positive", "LOINC:2106-3", "positive"), "met"),
        (lab("negative", "LOINC:2118-8", "negative"), "not_met"),
        (patient("untested"), "not_met"),
    ])
