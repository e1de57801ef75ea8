"""docs/criteria-language.md shows the spec cases exactly as they are tested."""

from __future__ import annotations

from tests.spec.render import DOC, END, START, render, updated


def test_the_criteria_language_doc_holds_the_current_spec_cases() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert START in text and END in text, "run: python -m tests.spec.render"
    assert updated(text) == text, "the doc is stale: run python -m tests.spec.render"


def test_the_rendered_cases_show_every_rule_and_patient() -> None:
    rendered = render()
    assert "increase(score of edss within last 24 months" in rendered
    assert "| moderate |" in rendered and "**met**" in rendered
