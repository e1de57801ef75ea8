"""Loading protocol files: the reference loads; every kind of bad input is refused precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REFERENCE_PROTOCOL
from trialkit.core.protocol import ProtocolError, load_protocol, parse_protocol

REFERENCE_TEXT = REFERENCE_PROTOCOL.read_text(encoding="utf-8")


def _refused(text: str) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, source="amended.yaml")
    return caught.value


def _edited(old: str, new: str, count: int = 1) -> str:
    assert REFERENCE_TEXT.count(old) >= count, f"fixture text not found: {old!r}"
    return REFERENCE_TEXT.replace(old, new, count)


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_the_reference_protocol_loads_with_both_parts_and_nineteen_criteria(reference_protocol):
    assert reference_protocol.identity.id == "NCT05532943"
    assert [p.enrolment_target for p in reference_protocol.design.parts] == [6, 35]
    assert [c.id for c in reference_protocol.eligibility.criteria] == [
        *(f"I{i}" for i in range(1, 8)), *(f"E{i}" for i in range(1, 13))]


def test_a_loaded_protocol_cannot_be_modified(reference_protocol):
    with pytest.raises(Exception, match="frozen"):
        reference_protocol.design.enrolment.count = 42  # type: ignore[misc]


def test_a_yaml_syntax_error_names_file_line_and_column():
    text = _edited("  org_study_id: ES-CMSC01-D1101", "  org_study_id: [ES-CMSC01-D1101")
    error = _refused(text)
    assert "YAML syntax error" in str(error)
    assert str(error).startswith("amended.yaml:")
    assert error.problems[0].line is not None


def test_an_unknown_key_is_refused_with_its_path_and_line():
    text = _edited("  enrolment: {count: 41, type: ESTIMATED}",
                   "  enrolment: {count: 41, type: ESTIMATED}\n  enrolement_cap: 41")
    error = _refused(text)
    [problem] = error.problems
    assert problem.dotted_path() == "design.enrolement_cap"
    assert "unknown key" in problem.message
    assert problem.line == _line_of(text, "enrolement_cap")


def test_a_typo_in_a_nested_key_is_never_ignored():
    error = _refused(_edited("      enrolment_order: sequential", "      enrolment_ordre: sequential"))
    assert error.problems[0].dotted_path() == "design.parts[0].enrolment_ordre"


def test_a_wrong_type_is_refused_with_what_was_expected():
    text = _edited("      enrolment_target: 6", '      enrolment_target: "six"')
    error = _refused(text)
    [problem] = error.problems
    assert problem.dotted_path() == "design.parts[0].enrolment_target"
    assert "integer" in problem.message and "'six'" in problem.message
    assert problem.line == _line_of(text, 'enrolment_target: "six"')


def test_a_number_written_as_a_string_is_not_silently_coerced():
    error = _refused(_edited("      enrolment_target: 6", '      enrolment_target: "6"'))
    assert error.problems[0].dotted_path() == "design.parts[0].enrolment_target"


def test_an_unknown_enumeration_value_lists_the_allowed_ones():
    error = _refused(_edited("      type: SHAM_COMPARATOR", "      type: SHAM"))
    assert error.problems[0].dotted_path() == "design.arms[1].type"
    assert "SHAM_COMPARATOR" in error.problems[0].message


def test_a_missing_required_field_is_named():
    error = _refused(_edited("  org_study_id: ES-CMSC01-D1101\n", ""))
    assert error.problems[0].dotted_path() == "identity.org_study_id"
    assert "missing" in error.problems[0].message


def test_a_form_due_at_a_visit_that_does_not_exist_is_refused_at_that_reference():
    text = _edited("      forms: [LAB, VS]", "      forms: [LAB, VS, LABS2]")
    error = _refused(text)
    [problem] = error.problems
    assert problem.dotted_path() == "schedule.visits[3].forms[2]"
    assert "unknown form 'LABS2'" in problem.message
    assert problem.line == _line_of(text, "forms: [LAB, VS, LABS2]")


def test_a_stratum_that_is_not_a_form_item_is_refused():
    error = _refused(_edited("form: MSHIST, item: ms_course,", "form: MSHIST, item: course,"))
    assert error.problems[0].dotted_path() == "randomization.strata[0].item"
    assert "unknown item of form 'MSHIST' 'course'" in error.problems[0].message


def test_arm_ratios_that_do_not_match_the_arms_are_refused():
    error = _refused(_edited("ratio: {umsc01: 1, placebo: 1}", "ratio: {umsc01: 1, sham: 1}"))
    assert error.problems[0].dotted_path() == "randomization.ratio"
    assert "placebo" in error.problems[0].message


def test_block_sizes_must_be_multiples_of_the_ratio_sum():
    error = _refused(_edited("block_sizes: [2, 4]", "block_sizes: [3, 4]"))
    assert error.problems[0].dotted_path().startswith("randomization")
    assert "multiples of the ratio sum 2" in error.problems[0].message


def test_part_targets_must_add_up_to_the_total_enrolment():
    error = _refused(_edited("enrolment_target: 35", "enrolment_target: 34"))
    assert error.problems[0].dotted_path() == "design.enrolment.count"
    assert "add up to 40" in error.problems[0].message


def test_a_duplicated_yaml_key_is_refused_rather_than_silently_overwritten():
    text = _edited("  org_study_id: ES-CMSC01-D1101",
                   "  org_study_id: ES-CMSC01-D1101\n  org_study_id: OTHER")
    error = _refused(text)
    assert "appears twice" in error.problems[0].message
    assert error.problems[0].line == _line_of(text, "org_study_id: OTHER")


def test_an_interpretation_must_govern_settings_that_exist():
    error = _refused(_edited("governs: [status.start.type]", "governs: [status.begin.type]"))
    assert error.problems[0].dotted_path() == "interpretations[0].governs[0]"
    assert "no field 'begin'" in error.problems[0].message


def test_every_problem_is_reported_at_once():
    text = _edited("      enrolment_target: 6", '      enrolment_target: "six"')
    text = text.replace("      type: SHAM_COMPARATOR", "      type: SHAM")
    assert len(_refused(text).problems) == 2


def test_an_empty_file_and_a_non_mapping_are_refused():
    assert "empty" in str(_refused(""))
    assert "mapping" in str(_refused("- just\n- a list\n"))


def test_a_missing_file_is_a_protocol_error_not_a_traceback(tmp_path: Path):
    with pytest.raises(ProtocolError, match="cannot read"):
        load_protocol(tmp_path / "absent.yaml")
