"""Amendments shown as what changed in design, schedule, criteria and forms."""

from __future__ import annotations

from tests.conftest import REFERENCE_TEXT_PATH
from trialkit.core.protocol import parse_protocol
from trialkit.core.protocol.diff import diff_protocols

TEXT = REFERENCE_TEXT_PATH.read_text(encoding="utf-8")


def _diff(new_text: str):
    return diff_protocols(parse_protocol(TEXT), parse_protocol(new_text))


def test_identical_protocols_have_no_differences(reference_protocol):
    assert diff_protocols(reference_protocol, reference_protocol) == []


def test_a_changed_window_is_reported_under_schedule_by_visit_id():
    changes = _diff(TEXT.replace("window: {before: 3, after: 3}", "window: {before: 5, after: 3}"))
    assert [(c.section, c.path, c.old, c.new) for c in changes] == [
        ("schedule", "schedule.visits[D28].window.before", 3, 5)]


def test_a_new_visit_is_added_not_a_cascade_of_positional_changes():
    extra = ("    - id: M18\n      name: Month 18\n      day: 575\n"
             "      window: {before: 14, after: 14}\n      forms: [EDSS]\n")
    text = TEXT.replace("    - id: UNS\n", extra + "    - id: UNS\n")
    changes = _diff(text)
    assert [(c.kind, c.path) for c in changes] == [("added", "schedule.visits[M18]")]


def test_a_reworded_criterion_is_a_criteria_change():
    changes = _diff(TEXT.replace("text: With active infection that required systemic treatment",
                                 "text: With active infection requiring systemic treatment"))
    assert [(c.section, c.kind, c.path) for c in changes] == [
        ("criteria", "changed", "eligibility.criteria[E7].text")]
    assert "→" in changes[0].describe()


def test_a_removed_form_item_is_a_forms_change_and_takes_its_translation_along():
    item = ("      - {id: prior_dmt, label: Prior disease-modifying therapies, type: text,\n"
            "         cdisc: {domain: CM, variable: CMTRT}}\n")
    # A translation names what the protocol has: the item's words go with it (or the file is
    # refused), and the review shows both.
    words = "      MSHIST.prior_dmt: 先前使用之疾病修飾治療 (DMT)\n"
    assert item in TEXT and words in TEXT
    text = TEXT.replace(item, "").replace(words, "")
    changes = _diff(text)
    assert [(c.section, c.kind, c.path) for c in changes] == [
        ("forms", "removed", "forms[MSHIST].items[prior_dmt]"),
        ("translations", "removed", "translations[0].items.MSHIST.prior_dmt")]


def test_a_design_change_to_the_gate_is_reported_under_design():
    changes = _diff(TEXT.replace("days_after_administration: 28", "days_after_administration: 35"))
    assert [(c.section, c.path, c.old, c.new) for c in changes] == [
        ("design", "gates.committee[0].days_after_administration", 28, 35)]


def test_reordering_criteria_is_reported_as_a_move():
    e7 = ("    - id: E7\n      kind: exclusion\n      text: With active infection that required "
          "systemic treatment\n      rule: |\n        attested active_infection_systemic_treatment\n")
    assert e7 in TEXT
    text = TEXT.replace(e7, "").replace("    - id: E8\n", "    - id: E8\n", 1)
    text = text.replace("    - id: E9\n", e7 + "    - id: E9\n", 1)
    kinds = {(c.kind, c.path) for c in _diff(text)}
    assert ("moved", "eligibility.criteria[E7]") in kinds
