"""The criteria language: what it accepts, the nodes it builds, and errors with line:column."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import yaml

from tests.spec.support import LIBRARY
from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility.language import RuleContext, RuleError, parse_rule
from trialkit.core.protocol.record import RecordSection, base_schema

MS_LIBRARY = RecordSection.model_validate(
    yaml.safe_load((LIBRARY / "multiple-sclerosis.yaml").read_text(encoding="utf-8"))["record"])
SCHEMA = base_schema().extended(MS_LIBRARY)
TABLES = RuleContext.build(SCHEMA, ()).tables
RELAPSES, EDSS, MRI = TABLES["relapses"], TABLES["edss"], TABLES["mri_scans"]


@dataclass(frozen=True)
class VS:
    id: str
    kind: str
    codes: tuple[str, ...]
    description: str = ""


SETS = {
    "ms": VS("ms", "diagnosis", ("ICD10:G35", "SNOMED:24700007")),
    "rrms": VS("rrms", "diagnosis", ("SNOMED:426373005",)),
    "cd20": VS("cd20", "ingredient", ("rituximab",)),
    "glucose": VS("glucose", "lab", ("LOINC:1558-6",)),
}


def parse(text: str) -> n.Cond:
    return parse_rule(text, value_sets=SETS, schema=SCHEMA)


def error(text: str) -> RuleError:
    with pytest.raises(RuleError) as info:
        parse(text)
    return info.value


def test_the_registry_age_and_sex_rules_parse():
    assert parse("age >= 20 and age <= 65") == n.And((
        n.Compare(n.Age(), ">=", n.Number(20)), n.Compare(n.Age(), "<=", n.Number(65))))
    assert parse('sex == "female"') == n.Compare(n.Sex(), "==", n.Text("female"))


def test_and_binds_tighter_than_or_and_not_tighter_than_and():
    rule = parse("attested a or attested b and not attested c")
    assert rule == n.Or((n.Attested("a"), n.And((n.Attested("b"), n.Not(n.Attested("c"))))))


def test_a_count_over_a_window_in_months():
    assert parse("count(relapses within last 12 months) >= 1") == n.Compare(
        n.Count(n.Events(RELAPSES, n.Window(months=12))), ">=", n.Number(1))


def test_years_and_weeks_become_months_and_days():
    rule = parse("exists(relapses within last 2 years) or exists(relapses within last 4 weeks)")
    assert isinstance(rule, n.Or)
    assert [p.events.window for p in rule.parts] == [  # type: ignore[union-attr]
        n.Window(months=24), n.Window(days=28)]


def test_the_screening_window_comes_from_the_protocol():
    rule = parse_rule("exists(edss within screening)", value_sets={}, screening_days=21,
                      schema=SCHEMA)
    assert rule == n.Exists(n.Events(EDSS, n.Window(days=21, name="the screening window")))


def test_a_window_may_end_on_the_consent_date():
    rule = parse("exists(relapses within last 1 month before consent)")
    assert rule == n.Exists(n.Events(RELAPSES, n.Window(months=1, anchor="consent")))


def test_a_lab_against_its_uln_with_an_inline_loinc_code():
    rule = parse('latest(labs "LOINC:5902-2" within screening) <= 1.5 x uln')
    assert isinstance(rule, n.UlnCompare)
    assert (rule.op, rule.factor, rule.value.field) == ("<=", 1.5, "value")


def test_a_quantity_keeps_its_unit_and_checks_it_fits_the_test():
    rule = parse("latest(labs in glucose within screening) > 13.9 mmol/L")
    assert isinstance(rule, n.Compare) and rule.right == n.Quantity(13.9, "mmol/L")
    assert "not a unit of LOINC:1558-6" in error(
        "latest(labs in glucose within screening) > 3 s").message


def test_in_brackets_is_an_inclusive_range():
    assert parse("latest(edss within screening) in [2.0, 6.5]") == n.And((
        n.Compare(n.Latest(n.Events(EDSS, n.Window(days=28, name="the screening window")),
                           "score"), ">=", n.Number(2.0)),
        n.Compare(n.Latest(n.Events(EDSS, n.Window(days=28, name="the screening window")),
                           "score"), "<=", n.Number(6.5))))


def test_time_since_turns_durations_into_anchor_dates():
    rule = parse("time_since(earliest(diagnoses in ms).date) >= 2 years")
    assert isinstance(rule, n.Compare)
    assert (rule.op, rule.right) == ("<=", n.AnchorDate("index", -24, 0))


def test_where_conditions_and_value_sets_combine():
    rule = parse("exists(mri_scans within last 12 months where gd_enhancing_lesions >= 1 "
                 "or new_t2_lesions >= 1)")
    assert isinstance(rule, n.Exists)
    assert rule.events.where == n.RowOr((n.FieldCompare("gd_enhancing_lesions", ">=", 1.0),
                                         n.FieldCompare("new_t2_lesions", ">=", 1.0)))


def test_the_latest_code_in_a_value_set():
    rule = parse("latest(diagnoses in ms) in rrms")
    assert isinstance(rule, n.InSet) and rule.codes.id == "rrms"


def test_treatment_failure_lists_its_event_kinds():
    rule = parse("treatment_failure(medications in cd20, over 6 months, "
                 "until 3 months after stopping, relapses, edss_worsening)")
    assert isinstance(rule, n.ExposureEvent)
    assert rule.events == (n.Events(RELAPSES), n.IncreaseEvents(
        EDSS, "score", (n.Step(1.0, 5.0), n.Step(0.5)), 24))
    assert (rule.min_months, rule.grace_months) == (6, 3)


def test_a_library_function_expands_to_generic_nodes():
    rule = parse("edss_worsened(within last 24 months)")
    assert rule == n.Increase(n.Events(EDSS, n.Window(months=24)), "score",
                              (n.Step(1.0, 5.0), n.Step(0.5)))


def test_a_table_the_schema_does_not_declare_is_refused():
    with pytest.raises(RuleError, match="unknown table 'relapses'"):
        parse_rule("exists(relapses)", value_sets={})


def test_inline_lab_codes_are_named_from_the_lab_catalogue():
    rule = parse('latest(labs "LOINC:5902-2" within screening) <= 1.5 x uln')
    assert isinstance(rule, n.UlnCompare) and isinstance(rule.value.events.where, n.InCodes)
    assert rule.value.events.where.codes.description == "PT"


def test_comments_and_unicode_comparisons_are_accepted():
    assert parse("age ≥ 20  # adults only") == n.Compare(n.Age(), ">=", n.Number(20))


@pytest.mark.parametrize(("text", "line", "column", "fragment"), [
    ("age >= 20 and\n  sex >", 2, 8, "ends too early"),
    ("age >= 20 and agee <= 3", 1, 15, "agee"),
    ("exists(diagnoses in cancer)", 1, 21, "unknown value set 'cancer'"),
    ("age >= 20 mg/dl", 1, 11, "unknown unit 'mg/dl'"),
    ("age", 1, 4, "ends too early (expected a comparison"),
    ('age == "old"', 1, 1, "cannot compare number with text"),
    ("latest(labs in glucose within screening) > 250", 1, 1, "give the number a unit"),
    ("exists(relapses in ms)", 1, 8, "relapses rows carry no code"),
    ("exists(diagnoses in cd20)", 1, 8, "holds ingredient codes"),
    ("exists(edss where colour == 1)", 1, 8, "edss has no field 'colour'"),
    ("exists(relapses within last 2 fortnights)", 1, 31, "not days, weeks, months or years"),
    ("time_since(age) >= 2 years", 1, 12, "needs a date"),
    ("sex == \"female\" and 3 years", 1, 28, "ends too early"),
    ("age >= 20 or or age < 3", 1, 14, "unexpected 'or'"),
    ("age >= 20 $", 1, 11, "unexpected character '$'"),
])
def test_errors_name_the_line_and_column_within_the_rule(text, line, column, fragment):
    exc = error(text)
    assert fragment in exc.message
    assert (exc.line, exc.column) == (line, column), exc
