"""Conditional items: a question that does not apply is not asked, not required, and a value
for it is refused (child-bearing potential was asked of men)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from trialkit.core.forms import asked_items, edit_check_problems, validate_form
from trialkit.core.protocol.forms import CodeList, Form

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
SEX = CodeList.model_validate({"id": "SEX", "name": "Sex", "items": [
    {"code": "F", "decode": "Female"}, {"code": "M", "decode": "Male"}]})
CODELISTS = {"SEX": SEX}


def form(asked_when: str = 'sex == "F"', **extra: object) -> Form:
    return Form.model_validate({
        "id": "DM", "name": "Demographics", "kind": "demographics", "entered_by": ["nurse"],
        "items": [
            {"id": "sex", "label": "Sex", "type": "choice", "codelist": "SEX", "required": True},
            {"id": "cbp", "label": "Of child-bearing potential", "type": "boolean",
             "required": True, "asked_when": asked_when, **extra},
            {"id": "age", "label": "Age", "type": "integer"}]})


def errors(data: dict[str, object], asked_when: str = 'sex == "F"') -> list[tuple[str, str]]:
    return [(e.item, e.message) for e in validate_form(
        form(asked_when), CODELISTS, data, as_of=NOW).errors]


def test_an_item_is_asked_only_when_its_condition_holds():
    today = NOW.date()
    assert asked_items(form(), {"sex": "F"}, today, CODELISTS) == {
        "sex": True, "cbp": True, "age": True}
    assert asked_items(form(), {"sex": "M"}, today, CODELISTS)["cbp"] is False
    # Not yet judged (sex not entered): not asked yet.
    assert asked_items(form(), {"sex": None}, today, CODELISTS)["cbp"] is False


def test_an_asked_required_item_is_required_and_an_unasked_one_is_not():
    assert errors({"sex": "F"}) == [("cbp", "is required (Of child-bearing potential)")]
    assert errors({"sex": "F", "cbp": "false"}) == []
    assert errors({"sex": "M"}) == []


def test_a_value_for_a_question_not_asked_is_refused_naming_the_item():
    assert errors({"sex": "M", "cbp": "true"}) == [(
        "cbp", 'is asked only when sex == "F"; leave it empty (Of child-bearing potential)')]
    # Undecided (sex missing): the missing sex is the one error, the answer is kept.
    assert errors({"sex": None, "cbp": "true"}) == [("sex", "is required (Sex)")]


def test_the_condition_is_checked_when_the_protocol_loads():
    assert edit_check_problems(form('sex == "X"'), CODELISTS)  # no such code
    assert edit_check_problems(form("height > 3"), CODELISTS)  # no such item
    looping = form("cbp == true")
    assert any("cannot decide whether it is itself asked" in p
               for p in edit_check_problems(looping, CODELISTS))
    assert edit_check_problems(form(), CODELISTS) == []


def test_a_computed_item_is_never_asked():
    with pytest.raises(ValidationError, match="computed, never asked"):
        form(derived={"function": "sum", "inputs": {"a": "age"}}, required=False)
