"""Splitting the registry's eligibility prose into criteria, and writing it back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trialkit.interop.ctgov.eligibility_text import format_criteria, parse_criteria, unwrap


def _split(text: str) -> list[tuple[str, str]]:
    return [(c.kind, c.text) for c in parse_criteria(text)]


def test_star_bullets_under_both_headings_become_inclusion_and_exclusion_items():
    text = ("Inclusion Criteria:\n\n* Age 18 or older\n* Signed consent\n\n"
            "Exclusion Criteria:\n\n* Pregnancy")
    assert _split(text) == [("inclusion", "Age 18 or older"), ("inclusion", "Signed consent"),
                            ("exclusion", "Pregnancy")]


def test_dash_and_numbered_items_keep_their_text_verbatim_without_the_marker():
    text = "Inclusion Criteria:\n- EDSS \\> 2.0\n1. eGFR \\< 30 mL/min\n2) ALT ≤ 5X ULN"
    assert [t for _, t in _split(text)] == ["EDSS \\> 2.0", "eGFR \\< 30 mL/min", "ALT ≤ 5X ULN"]


def test_plain_lines_are_one_criterion_each():
    text = "Inclusion Criteria:\nAdults\nSigned consent\nExclusion Criteria:\nPregnant"
    assert _split(text) == [("inclusion", "Adults"), ("inclusion", "Signed consent"),
                            ("exclusion", "Pregnant")]


def test_indented_sub_items_stay_with_their_parent_one_per_line():
    text = ("Exclusion Criteria:\n\n1. Either of the following:\n\n   1. Relapse, or\n"
            "   2. Steroids.\n2. Pregnancy")
    assert _split(text) == [
        ("exclusion", "Either of the following:\n1. Relapse, or\n2. Steroids."),
        ("exclusion", "Pregnancy")]


def test_a_sub_list_restarting_at_one_without_indentation_still_nests():
    # As in NCT04047628: the sub-list is flush left and the next item is indented and escaped.
    text = ("Inclusion Criteria:\n\n5. Active MS\n6\\. Candidacy for one of:\n\n"
            "1. No prior episode, and\n2. No contraindication\n\n   7\\. Vaccinated\n")
    assert [t for _, t in _split(text)] == [
        "Active MS", "Candidacy for one of:\n1. No prior episode, and\n2. No contraindication",
        "Vaccinated"]


def test_letters_and_roman_numerals_under_a_bulleted_list_nest_even_when_flush_left():
    # As in NCT06408259: "ii)" and "iii)" are not indented, and "\-" is an escaped bullet.
    text = ("Inclusion Criteria:\n\n* Diagnosis of MS\n* At least 1 of:\n\n  i) a relapse\n\n"
            "ii) two relapses\n\n\\- EDSS 0 to 5.5")
    assert [t for _, t in _split(text)] == [
        "Diagnosis of MS", "At least 1 of:\ni) a relapse\nii) two relapses", "EDSS 0 to 5.5"]


def test_a_preamble_line_is_its_own_item_and_does_not_swallow_the_list():
    text = "Inclusion Criteria:\nPatients must meet all of:\n* Adult\n* Consent"
    assert [t for _, t in _split(text)] == ["Patients must meet all of:", "Adult", "Consent"]


def test_qualified_headings_are_kept_with_their_items():
    text = "Key Inclusion Criteria:\n* A\nExclusion criteria for stage 2\n* B"
    parsed = parse_criteria(text)
    assert [(c.kind, c.heading, c.qualified) for c in parsed] == [
        ("inclusion", "Key Inclusion Criteria:", True),
        ("exclusion", "Exclusion criteria for stage 2", True)]
    assert not parse_criteria("**Inclusion Criteria:**\n* A")[0].qualified


def test_items_before_any_heading_are_inclusion_without_a_heading():
    parsed = parse_criteria("* Adults only\n\nExclusion Criteria:\n* Pregnant")
    assert [(c.kind, c.heading) for c in parsed] == [
        ("inclusion", None), ("exclusion", "Exclusion Criteria:")]


def test_a_bullet_that_mentions_exclusion_criteria_is_an_item_not_a_heading():
    parsed = parse_criteria("Exclusion Criteria:\n* A\n* Other protocol-defined "
                            "Inclusion/Exclusion criteria apply.")
    assert len(parsed) == 2 and parsed[1].kind == "exclusion"


def test_the_written_block_numbers_each_section_from_one():
    assert format_criteria(["A", "B"], ["C"]) == (
        "Inclusion Criteria:\n\n1. A\n2. B\n\nExclusion Criteria:\n\n1. C")
    assert format_criteria([], ["C"]) == "Exclusion Criteria:\n\n1. C"


line = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
               min_size=1, max_size=30).map(str.strip).filter(bool)
criterion = st.lists(line, min_size=1, max_size=3).map(lambda lines: "\n".join(
    [lines[0], *(f"* {rest}" for rest in lines[1:])]))


@given(st.lists(criterion, max_size=12), st.lists(criterion, max_size=12))
def test_a_written_block_reads_back_as_the_same_criteria(inclusion, exclusion):
    parsed = parse_criteria(format_criteria(inclusion, exclusion))
    assert [(c.kind, c.text) for c in parsed] == (
        [("inclusion", t) for t in inclusion] + [("exclusion", t) for t in exclusion])


def test_unwrapping_joins_wrapped_lines_but_keeps_bullets_headings_and_paragraphs():
    block = ("\n        Inclusion Criteria:\n\n          -  Metastatic TNBC (absence of\n"
             "             HER2)\n          -  ECOG 0 or 1\n\n        A second paragraph\n"
             "        wrapped here.\n")
    assert unwrap(block) == ("Inclusion Criteria:\n\n  -  Metastatic TNBC (absence of HER2)\n"
                             "  -  ECOG 0 or 1\n\nA second paragraph wrapped here.")
