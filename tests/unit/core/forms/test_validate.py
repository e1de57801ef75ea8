"""Validating submitted forms against the reference protocol's form definitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from trialkit.core.forms import (
    adverse_event_items,
    is_serious,
    item_changes,
    validate_form,
)
from trialkit.core.protocol import Protocol

NOW = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
FS_ITEMS = ("fs_pyramidal", "fs_cerebellar", "fs_brainstem", "fs_sensory", "fs_bowel_bladder",
            "fs_visual", "fs_cerebral", "ambulation")


def check(protocol: Protocol, form_id: str, data: dict[str, object], as_of: datetime = NOW):
    codelists = {c.id: c for c in protocol.codelists}
    return validate_form(protocol.form(form_id), codelists, data, as_of=as_of)


def edss(grades: tuple[int, ...], rater: object) -> dict[str, object]:
    return {"assessment_date": "2025-03-10", **dict(zip(FS_ITEMS, grades, strict=True)),
            "edss": rater}


def ae(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "term": "Headache", "onset_date": "2025-03-01", "ctcae_grade": 2, "serious": False,
        "relation_iv": "possible", "relation_it": "not_applicable",
        "relation_procedure": "not_applicable", "relation_study": "possible",
        "action": "none", "outcome": "recovered"}
    data.update(changes)
    return data


def errors_of(result) -> dict[str, str]:
    return {e.item: e.message for e in result.errors}


@pytest.mark.parametrize(("form_id", "item", "bad"), [
    ("EDSS", "fs_pyramidal", "two"),          # integer
    ("EDSS", "fs_pyramidal", 1.5),            # integer, not whole
    ("EDSS", "fs_pyramidal", True),           # a boolean is not a number
    ("VS", "temperature", "warm"),            # decimal
    ("DM", "birth_date", "10/03/1980"),       # date
    ("DM", "birth_date", "1980-02-30"),       # date that does not exist
    ("VS", "measured_at", "2025-03-10T09:00:00"),  # datetime without a zone
    ("DM", "childbearing_potential", "yes"),  # boolean
    ("DM", "sex", "unknown"),                 # choice outside the code list
    ("CONSENT", "taken_by", 42),              # text
])
def test_every_item_type_refuses_a_wrong_value_naming_the_item(reference_protocol, form_id, item,
                                                               bad):
    valid = {"EDSS": edss((0,) * 8, 0), "VS": {"measured_at": "2025-03-10T09:00:00+08:00"},
             "DM": {"birth_date": "1980-01-01", "sex": "female"},
             "CONSENT": {"consent_date": "2025-03-01", "form_version": "v2", "taken_by": "Dr A"}}
    result = check(reference_protocol, form_id, {**valid[form_id], item: bad})
    assert not result.ok
    assert list(errors_of(result)) == [item]
    assert repr(bad) in errors_of(result)[item]


def test_values_of_every_type_are_cleaned_into_their_stored_form(reference_protocol):
    result = check(reference_protocol, "VS", {
        "measured_at": "2025-03-10T09:00:00+08:00", "systolic_bp": "120", "heart_rate": 72.0,
        "temperature": "36.6"})
    assert result.ok
    assert result.values == {"measured_at": "2025-03-10T01:00:00+00:00", "systolic_bp": 120,
                             "diastolic_bp": None, "heart_rate": 72, "temperature": 36.6}
    grades = check(reference_protocol, "AE", ae(ctcae_grade="3", serious="false"))
    assert (grades.values["ctcae_grade"], grades.values["serious"]) == (3, False)


def test_a_value_outside_the_range_is_refused(reference_protocol):
    result = check(reference_protocol, "EDSS", edss((7, 0, 0, 0, 0, 0, 0, 0), 0))
    assert errors_of(result) == {"fs_pyramidal": "must be at most 6, got 7"}


def test_a_score_off_its_step_is_refused(reference_protocol):
    result = check(reference_protocol, "EDSS", edss((0,) * 8, 2.25))
    assert list(errors_of(result)) == ["edss"]
    assert "steps of 0.5" in errors_of(result)["edss"]


def test_a_missing_required_item_and_an_unknown_item_are_both_named(reference_protocol):
    result = check(reference_protocol, "DM", {"birth_date": "1980-01-01", "sex": " ",
                                              "height": 170})
    assert errors_of(result) == {"height": "is not an item of form DM",
                                 "sex": "is required (Sex)"}


def test_a_computed_item_cannot_be_entered(reference_protocol):
    result = check(reference_protocol, "EDSS", {**edss((0,) * 8, 0), "edss_computed": 0})
    assert list(errors_of(result)) == ["edss_computed"]


def test_fs_grades_that_agree_with_the_rater_give_no_finding(reference_protocol):
    result = check(reference_protocol, "EDSS", edss((2, 2, 0, 0, 0, 0, 0, 0), "2.5"))
    assert result.ok and result.findings == ()
    assert result.values["edss_computed"] == 2.5


def test_fs_grades_that_disagree_with_the_rater_open_a_query_on_the_rater_score(
        reference_protocol):
    result = check(reference_protocol, "EDSS", edss((2, 2, 0, 0, 0, 0, 0, 0), 3.5))
    assert result.ok
    assert [(f.item, f.opens_query) for f in result.findings] == [("edss", True)]
    assert "differs from the computed 2.5" in result.findings[0].message


def test_a_difference_inside_the_rater_judgement_band_is_a_note_without_a_query(
        reference_protocol):
    result = check(reference_protocol, "EDSS", edss((3, 3, 3, 0, 0, 0, 0, 0), 4.5))
    assert [(f.item, f.opens_query) for f in result.findings] == [("edss", False)]
    assert result.queries == ()


def test_an_end_date_before_the_onset_opens_a_query_but_is_saved(reference_protocol):
    result = check(reference_protocol, "AE", ae(end_date="2025-02-27"))
    assert result.ok
    assert [(f.item, f.opens_query) for f in result.queries] == [("end_date", True)]


def test_a_date_in_the_future_of_the_site_opens_a_query(reference_protocol):
    taipei = datetime(2025, 3, 10, 7, 0, tzinfo=timezone(timedelta(hours=8)))
    today_there = check(reference_protocol, "AE", ae(onset_date="2025-03-10"), as_of=taipei)
    tomorrow = check(reference_protocol, "AE", ae(onset_date="2025-03-11"), as_of=taipei)
    assert today_there.findings == ()
    assert [f.item for f in tomorrow.queries] == ["onset_date"]


def test_the_protocols_seriousness_checks_open_queries_with_the_protocols_messages(
        reference_protocol):
    no_criterion = check(reference_protocol, "AE", ae(serious=True))
    not_marked = check(reference_protocol, "AE", ae(sae_hospitalisation=True))
    consistent = check(reference_protocol, "AE", ae(serious=True, sae_hospitalisation=True))
    messages = {c.id: c.message for c in reference_protocol.form("AE").checks}
    assert [(f.item, f.message) for f in no_criterion.queries] == [
        ("serious", messages["serious_needs_a_criterion"])]
    assert [f.message for f in not_marked.queries] == [messages["criterion_means_serious"]]
    assert consistent.findings == ()


def test_a_check_whose_condition_does_not_hold_is_not_evaluated(reference_protocol):
    fatal = check(reference_protocol, "AE", ae(outcome="fatal", sae_death=False))
    recovered = check(reference_protocol, "AE", ae(outcome="recovered", sae_death=False))
    assert [f.item for f in fatal.queries] == ["sae_death"]
    assert recovered.findings == ()


def test_adverse_event_forms_are_those_the_protocol_calls_so(reference_protocol):
    kinds = {f.id for f in reference_protocol.forms if adverse_event_items(f) is not None}
    assert kinds == {f.id for f in reference_protocol.forms if f.kind == "adverse_event"}
    assert is_serious(reference_protocol.form("AE"), {"serious": True})
    assert not is_serious(reference_protocol.form("RELAPSE"), {"serious": True})


def test_item_changes_lists_only_what_differs():
    assert item_changes({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {"b": (2, 3)}
