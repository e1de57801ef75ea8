"""Validating submitted forms against each protocol's form definitions. The forms and items a
test needs are found by what they are (their type, range, derivation, CDISC annotation), so
every protocol in protocols/ is checked the same way."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from trialkit.core.forms import (
    adverse_event_items,
    is_serious,
    item_changes,
    validate_form,
)
from trialkit.core.protocol.forms import Form, Item

pytestmark = pytest.mark.protocols()
NOW = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
DAY = date(2025, 3, 10)


def check(trial, form: Form, data: dict[str, object], as_of: datetime = NOW):
    codelists = {c.id: c for c in trial.protocol.codelists}
    return validate_form(form, codelists, data, as_of=as_of)


def errors_of(result) -> dict[str, str]:
    return {e.item: e.message for e in result.errors}


def an_item(trial, predicate) -> tuple[Form, Item]:
    found = next(trial.items(predicate), None)
    assert found is not None, f"{trial.stem} has no such item"
    return found


BAD = [("integer", "two"), ("integer", 1.5), ("integer", True), ("decimal", "warm"),
       ("date", "10/03/1980"), ("date", "1980-02-30"), ("datetime", "2025-03-10T09:00:00"),
       ("boolean", "yes"), ("choice", "unknown"), ("text", 42)]
"""Per item type, a value it refuses: a word, a fraction or a yes/no for a whole number, a
date that does not exist, a date-time without a zone, a code outside the list..."""


@pytest.mark.parametrize(("item_type", "bad"), BAD, ids=[f"{t}-{b!r}" for t, b in BAD])
def test_every_item_type_refuses_a_wrong_value_naming_the_item(trial, item_type, bad):
    form, item = an_item(trial, lambda f, i: i.type == item_type)
    result = check(trial, form, {**trial.values(form, DAY), item.id: bad})
    assert not result.ok
    assert list(errors_of(result)) == [item.id]
    assert repr(bad) in errors_of(result)[item.id]


def _numbers(form: Form) -> tuple[Item, Item]:
    integer = next(i for i in form.items if i.type == "integer" and i.derived is None)
    decimal = next(i for i in form.items if i.type == "decimal" and i.derived is None)
    return integer, decimal


def test_values_of_every_type_are_cleaned_into_their_stored_form(trial):
    form = trial.forms_of_kind("vital_signs")[0]
    when = next(i for i in form.items if i.type == "datetime")
    integer, decimal = _numbers(form)
    low = int(integer.range.min) + 1 if integer.range else 1
    result = check(trial, form, {when.id: "2025-03-10T09:00:00+08:00", integer.id: str(low),
                                 decimal.id: f"{decimal.range.min + 0.5}"})
    assert result.ok
    assert (result.values[when.id], result.values[integer.id], result.values[decimal.id]) == (
        "2025-03-10T01:00:00+00:00", low, decimal.range.min + 0.5)
    assert all(result.values[i.id] is None for i in form.items
               if i.id not in (when.id, integer.id, decimal.id) and i.derived is None)
    ae = trial.adverse_event_form
    serious = ae.item_with("AE", "AESER")
    cleaned = check(trial, ae, {**trial.values(ae, DAY), serious.id: "false"})
    assert cleaned.ok and cleaned.values[serious.id] is False


def test_a_value_outside_the_range_is_refused(trial):
    form, item = an_item(trial, lambda f, i: i.type == "integer" and i.range is not None
                         and i.range.max is not None)
    above = int(item.range.max) + 1
    result = check(trial, form, {**trial.values(form, DAY), item.id: above})
    assert errors_of(result) == {item.id: f"must be at most {item.range.max:g}, got {above}"}


@pytest.mark.protocols("stepped_item")
def test_a_score_off_its_step_is_refused(trial):
    form, item = an_item(trial, lambda f, i: i.range is not None and i.range.step)
    off = item.range.min + item.range.step / 2
    result = check(trial, form, {**trial.values(form, DAY), item.id: off})
    assert list(errors_of(result)) == [item.id]
    assert f"steps of {item.range.step:g}" in errors_of(result)[item.id]


def test_a_missing_required_item_and_an_unknown_item_are_both_named(trial):
    form = trial.forms_of_kind("demographics")[0]
    required = next(i for i in form.items if i.required and i.type == "choice")
    result = check(trial, form, {**trial.values(form, DAY), required.id: " ", "height": 170})
    assert errors_of(result) == {"height": f"is not an item of form {form.id}",
                                 required.id: f"is required ({required.label})"}


def _derived(trial) -> tuple[Form, Item]:
    return next((f, i) for f in trial.protocol.forms for i in f.items
                if i.derived is not None and i.derived.check_against)


@pytest.mark.protocols("derived_check")
def test_a_computed_item_cannot_be_entered(trial):
    form, derived = _derived(trial)
    result = check(trial, form, {**trial.values(form, DAY), derived.id: 0})
    assert list(errors_of(result)) == [derived.id]


@pytest.mark.protocols("derived_check")
def test_an_entered_total_that_agrees_with_its_derivation_gives_no_finding(trial):
    form, derived = _derived(trial)
    values = trial.values(form, DAY)
    checked = derived.derived.check_against
    result = check(trial, form, {**values, checked: str(values[checked])})
    assert result.ok and result.findings == ()
    assert result.values[derived.id] == values[checked]


@pytest.mark.protocols("derived_check")
def test_an_entered_total_that_disagrees_opens_a_query_on_the_entered_item(trial):
    form, derived = _derived(trial)
    values = trial.values(form, DAY)
    checked = derived.derived.check_against
    result = check(trial, form, {**values, checked: values[checked] + 3})
    assert result.ok
    assert [(f.item, f.opens_query) for f in result.findings] == [(checked, True)]
    assert f"differs from the computed {values[checked]:g}" in result.findings[0].message


@pytest.mark.protocols("judgement_band")
def test_a_difference_inside_the_rater_judgement_band_is_a_note_without_a_query(trial):
    form, derived = next((f, i) for f in trial.protocol.forms for i in f.items
                         if i.derived is not None and i.derived.function == "neurostatus_edss")
    inputs = derived.derived.inputs
    grades = {inputs["pyramidal"]: 3, inputs["cerebellar"]: 3, inputs["brainstem"]: 3}
    values = trial.values(form, DAY, **grades, **{derived.derived.check_against: 4.5})
    result = check(trial, form, values)
    assert [(f.item, f.opens_query) for f in result.findings] == [
        (derived.derived.check_against, False)]
    assert result.queries == ()


def _ae(trial, **meanings: object) -> dict[str, object]:
    """Valid adverse-event values, then values given by CDISC AE variable (``AESER=True``)."""
    form = trial.adverse_event_form
    values = trial.values(form, DAY, **{form.item_with("AE", "AESTDTC").id: "2025-03-01"})
    return {**values, **{form.item_with("AE", v).id: value for v, value in meanings.items()}}


def test_an_end_date_before_the_onset_opens_a_query_but_is_saved(trial):
    form = trial.adverse_event_form
    result = check(trial, form, _ae(trial, AEENDTC="2025-02-27"))
    assert result.ok
    assert [(f.item, f.opens_query) for f in result.queries] == [
        (form.item_with("AE", "AEENDTC").id, True)]


def test_a_date_in_the_future_of_the_site_opens_a_query(trial):
    form = trial.adverse_event_form
    taipei = datetime(2025, 3, 10, 7, 0, tzinfo=timezone(timedelta(hours=8)))
    today_there = check(trial, form, _ae(trial, AESTDTC="2025-03-10"), as_of=taipei)
    tomorrow = check(trial, form, _ae(trial, AESTDTC="2025-03-11"), as_of=taipei)
    assert today_there.findings == ()
    assert [f.item for f in tomorrow.queries] == [form.item_with("AE", "AESTDTC").id]


def _check_on(form: Form, item: str):
    """The form's edit checks that open their query on ``item``."""
    return [c for c in form.checks if c.item == item]


def test_the_protocols_seriousness_checks_open_queries_with_the_protocols_messages(trial):
    form = trial.adverse_event_form
    serious = form.item_with("AE", "AESER").id
    no_criterion = check(trial, form, _ae(trial, AESER=True))
    not_marked = check(trial, form, _ae(trial, AESHOSP=True))
    consistent = check(trial, form, _ae(trial, AESER=True, AESHOSP=True))
    messages = {c.message for c in _check_on(form, serious)}
    assert [f.item for f in no_criterion.queries] == [serious]
    assert [f.item for f in not_marked.queries] == [serious]
    assert {no_criterion.queries[0].message, not_marked.queries[0].message} == messages
    assert consistent.findings == ()


def test_a_check_whose_condition_does_not_hold_is_not_evaluated(trial):
    form = trial.adverse_event_form
    outcome = form.item_with("AE", "AEOUT")
    fatal_code = next(c.code for c in trial.protocol.codelist(outcome.codelist).items
                      if c.code == "fatal" or c.submission_value == "FATAL")
    recovered_code = next(c.code for c in trial.protocol.codelist(outcome.codelist).items
                          if c.code != fatal_code)
    fatal = check(trial, form, _ae(trial, AEOUT=fatal_code, AESDTH=False))
    recovered = check(trial, form, _ae(trial, AEOUT=recovered_code, AESDTH=False))
    assert [f.item for f in fatal.queries] == [form.item_with("AE", "AESDTH").id]
    assert recovered.findings == ()


def test_adverse_event_forms_are_those_the_protocol_calls_so(trial):
    protocol = trial.protocol
    kinds = {f.id for f in protocol.forms if adverse_event_items(f) is not None}
    assert kinds == {f.id for f in protocol.forms if f.kind == "adverse_event"}
    form = trial.adverse_event_form
    serious = form.item_with("AE", "AESER").id
    assert is_serious(form, {serious: True})
    other = next(f for f in protocol.forms if f.kind != "adverse_event")
    assert not is_serious(other, {serious: True})


def test_item_changes_lists_only_what_differs():
    assert item_changes({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {"b": (2, 3)}
