"""Saving case report forms on every protocol: validation, versions with reasons, edit-check
queries, who may enter what. Forms and items are found by what they are (their type, range,
derivation, who enters them), never by a trial's ids."""

from __future__ import annotations

import pytest

from tests.integration.capture_support import DAY, measured, new_participant
from trialkit.core.protocol.forms import Form, Item
from trialkit.web.trial.actions.base import (
    InvalidInputError,
    NotFoundError,
    NotPermittedError,
)
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.capture_queries import form_versions, item_audit_trail, queries_of
from trialkit.web.trial.models import AuditEvent, FormRecord, FormVersion, Query

pytestmark = pytest.mark.protocols()

BAD = {"integer": "x", "decimal": "hot", "date": "2025-13-01", "datetime": "10 March 2025",
       "boolean": "maybe", "choice": "NOT-A-CODE", "text": 3}
"""A value each item type refuses."""


def _entry(trial, form: Form) -> tuple[str, str]:
    """A visit the form is entered at ("" for a log form), and the role that enters it."""
    visits = trial.visits_collecting(form)
    return (visits[0] if visits else ""), trial.entry_role(form)


def _an_item_of_type(trial, item_type: str) -> tuple[Form, Item]:
    found = list(trial.items(lambda f, i: i.type == item_type
                             and (not f.repeating or f.kind != "adverse_event")))
    assert found, f"{trial.stem} has no {item_type} item"
    return found[0]


@pytest.mark.parametrize("item_type", sorted(BAD))
def test_an_invalid_item_of_any_type_is_refused_naming_it_and_nothing_is_saved(
        trial, participant, make_actor, item_type):
    form, item = _an_item_of_type(trial, item_type)
    visit, role = _entry(trial, form)
    with pytest.raises(InvalidInputError) as refused:
        do_save_form(participant, form.id, visit, trial.values(form, DAY, **{item.id: BAD[
            item_type]}), actor=make_actor(role))
    assert refused.value.field == item.id
    assert not FormRecord.objects.exists() and not FormVersion.objects.exists()
    assert not AuditEvent.objects.filter(action="save_form").exists()


def test_an_item_the_form_does_not_have_is_refused_naming_it(trial, participant, make_actor):
    form = trial.form(trial.screening_visit.forms[0])
    visit, role = _entry(trial, form)
    with pytest.raises(InvalidInputError) as refused:
        do_save_form(participant, form.id, visit, {**trial.values(form, DAY), "weight": 60},
                     actor=make_actor(role))
    assert refused.value.field == "weight"


def test_a_value_outside_its_range_is_refused(trial, participant, make_actor):
    target = measured(trial)
    above = target.item.range.max + 1
    with pytest.raises(InvalidInputError) as refused:
        do_save_form(participant, target.form.id, target.visit,
                     target.values(trial, **{target.item.id: above}),
                     actor=make_actor(trial.entry_role(target.form)))
    assert refused.value.field == target.item.id
    assert f"at most {target.item.range.max:g}" in refused.value.message


def test_a_form_must_belong_to_the_visit_it_is_entered_at(trial, participant, make_actor):
    form = next(f for f in trial.protocol.forms if not f.repeating and trial.visits_collecting(f)
                and len(trial.visits_collecting(f)) < len(trial.protocol.schedule.visits))
    elsewhere = next(v.id for v in trial.protocol.schedule.visits if form.id not in v.forms)
    actor = make_actor(trial.entry_role(form))
    values = trial.values(form, DAY)
    with pytest.raises(InvalidInputError) as wrong_visit:
        do_save_form(participant, form.id, elsewhere, values, actor=actor)
    with pytest.raises(InvalidInputError) as no_visit:
        do_save_form(participant, form.id, "", values, actor=actor)
    with pytest.raises(InvalidInputError) as unknown_form:
        do_save_form(participant, "NO_SUCH_FORM", elsewhere, {}, actor=actor)
    assert (wrong_visit.value.field, no_visit.value.field, unknown_form.value.field) == (
        "visit_id", "visit_id", "form_id")


def _derived(trial) -> tuple[Form, Item]:
    return next((f, i) for f in trial.protocol.forms for i in f.items
                if i.derived is not None and i.derived.check_against)


def _derived_entry(trial, make_actor):
    form, derived = _derived(trial)
    visit, role = _entry(trial, form)
    return form, derived, visit, make_actor(role)


@pytest.mark.protocols("derived_check")
def test_an_entered_total_that_agrees_with_its_derivation_saves_without_a_query(
        trial, participant, make_actor):
    form, derived, visit, actor = _derived_entry(trial, make_actor)
    version = do_save_form(participant, form.id, visit, trial.values(form, DAY), actor=actor)
    checked = derived.derived.check_against
    assert version.number == 1 and version.data[derived.id] == version.data[checked]
    assert not Query.objects.exists()


def _disagreeing(trial, form: Form, derived: Item) -> tuple[dict, object]:
    """Values whose entered total is off its derivation by a whole unit."""
    values = trial.values(form, DAY)
    checked = derived.derived.check_against
    return {**values, checked: values[checked] + 3}, values[checked]


@pytest.mark.protocols("derived_check")
def test_an_entered_total_that_disagrees_with_its_derivation_saves_and_opens_a_query(
        trial, participant, make_actor):
    form, derived, visit, actor = _derived_entry(trial, make_actor)
    values, computed = _disagreeing(trial, form, derived)
    version = do_save_form(participant, form.id, visit, values, actor=actor)
    [query] = queries_of(version.record, actor=actor)
    assert (query.item_id, query.status, query.automatic) == (derived.derived.check_against,
                                                           "open", True)
    assert f"differs from the computed {computed:g}" in query.text
    assert version.findings[0]["opens_query"] is True


@pytest.mark.protocols("derived_check")
def test_a_correction_that_resolves_the_disagreement_closes_the_automatic_query(
        trial, participant, make_actor):
    form, derived, visit, actor = _derived_entry(trial, make_actor)
    values, _ = _disagreeing(trial, form, derived)
    do_save_form(participant, form.id, visit, values, actor=actor)
    corrected = do_save_form(participant, form.id, visit, trial.values(form, DAY), actor=actor,
                             reason="transcription error, the source agrees",
                             repeat_index=1 if form.repeating else None)
    [query] = queries_of(corrected.record, actor=actor)
    assert query.status == "closed"
    assert query.messages[-1].text == "Resolved by version 2."


@pytest.mark.protocols("judgement_band")
def test_rater_judgement_is_noted_on_the_version_without_a_query(trial, participant,
                                                                 make_actor):
    form, derived = next((f, i) for f in trial.protocol.forms for i in f.items
                         if i.derived is not None and i.derived.function == "neurostatus_edss")
    visit, role = _entry(trial, form)
    grades = {"pyramidal": 3, "cerebellar": 3, "brainstem": 3}
    values = trial.values(form, DAY, **{derived.derived.inputs[k]: v for k, v in grades.items()},
                          **{derived.derived.check_against: 4.5})
    version = do_save_form(participant, form.id, visit, values, actor=make_actor(role))
    assert [f["opens_query"] for f in version.findings] == [False]
    assert not Query.objects.exists()


def test_a_second_save_needs_a_reason_and_both_versions_stay_readable(trial, participant,
                                                                      make_actor):
    target = measured(trial)
    actor = make_actor(trial.entry_role(target.form))
    first = target.values(trial)
    low = first[target.item.id]
    do_save_form(participant, target.form.id, target.visit, first, actor=actor)
    changed = {**first, target.item.id: target.other(low)}
    with pytest.raises(InvalidInputError) as no_reason:
        do_save_form(participant, target.form.id, target.visit, changed, actor=actor)
    assert no_reason.value.field == "reason"
    second = do_save_form(participant, target.form.id, target.visit, changed, actor=actor,
                          reason="re-measured after rest: the first was the wrong row")
    versions = form_versions(second.record, actor=actor)
    assert [(v.number, v.data[target.item.id]) for v in versions] == [
        (1, low), (2, target.other(low))]
    assert versions[1].reason.startswith("re-measured")
    assert FormRecord.objects.get().latest_version == 2


def test_a_save_that_changes_nothing_is_refused(trial, participant, make_actor):
    target = measured(trial)
    actor = make_actor(trial.entry_role(target.form))
    do_save_form(participant, target.form.id, target.visit, target.values(trial), actor=actor)
    with pytest.raises(InvalidInputError) as same:
        do_save_form(participant, target.form.id, target.visit, target.values(trial),
                     actor=actor, reason="again")
    assert same.value.field == "data"
    assert FormVersion.objects.count() == 1


def test_the_item_audit_trail_shows_old_and_new_with_who_when_and_why(trial, participant,
                                                                      make_actor):
    target = measured(trial)
    actor = make_actor(trial.entry_role(target.form))
    values = target.values(trial)
    item, low = target.item.id, values[target.item.id]
    first = do_save_form(participant, target.form.id, target.visit, values, actor=actor)
    do_save_form(participant, target.form.id, target.visit,
                 {**values, item: target.other(low)}, actor=actor,
                 reason="values from the nursing chart")
    trail = item_audit_trail(first.record, actor=actor)
    assert [(c.version, c.old, c.new) for c in trail[item]] == [
        (1, None, low), (2, low, target.other(low))]
    assert trail[item][-1].reason == "values from the nursing chart"
    assert trail[item][-1].by == actor.name
    unchanged = next(k for k in values if k != item)
    assert len(trail[unchanged]) == 1
    event = AuditEvent.objects.filter(action="save_form").order_by("sequence").last()
    assert event.old["items"] == {item: low}
    assert event.new["items"] == {item: target.other(low)}


def _log_form(trial) -> Form:
    return next(f for f in trial.protocol.forms if f.repeating and f.kind != "adverse_event")


def test_repeating_forms_get_a_new_entry_each_time_and_are_edited_by_index(
        trial, participant, make_actor):
    form = _log_form(trial)
    actor = make_actor(trial.entry_role(form))
    first = do_save_form(participant, form.id, "", trial.values(form, DAY), actor=actor)
    second_values = trial.values(form, DAY.replace(day=20))
    second = do_save_form(participant, form.id, "", second_values, actor=actor)
    date_item = next(i.id for i in form.items if i.type == "date" and i.required)
    edited = do_save_form(participant, form.id, "", {**second_values, date_item: "2025-03-21"},
                          actor=actor, reason="the date on the source", repeat_index=2)
    assert (first.record.repeat_index, second.record.repeat_index) == (1, 2)
    assert (edited.record_id, edited.number) == (second.record_id, 2)
    with pytest.raises(NotFoundError):
        do_save_form(participant, form.id, "", second_values, actor=actor, reason="r",
                     repeat_index=9)


def _specialist(trial) -> tuple[str, Form, Form]:
    """A role that enters some forms (``mine``) and is not listed for another (``theirs``);
    ``mine`` is not the consent form, which says what the fixture's consent says."""
    for role in trial.roles("enter_data"):
        mine = [f for f in trial.protocol.forms if role.id in trial.entry_roles(f)
                and trial.visits_collecting(f) and not f.repeating and f.kind != "consent"]
        theirs = [f for f in trial.protocol.forms if role.id not in f.entered_by
                  and trial.visits_collecting(f) and not f.repeating]
        if mine and theirs:
            return role.id, mine[0], theirs[0]
    raise AssertionError(f"{trial.stem}: every role enters every form")


def test_a_role_enters_only_the_forms_the_protocol_lists_it_for(trial, participant,
                                                                make_actor):
    role, mine, theirs = _specialist(trial)
    actor = make_actor(role)
    with pytest.raises(NotPermittedError) as refused:
        do_save_form(participant, theirs.id, trial.visits_collecting(theirs)[0],
                     trial.values(theirs, DAY), actor=actor)
    assert refused.value.field == "form_id"
    assert do_save_form(participant, mine.id, trial.visits_collecting(mine)[0],
                        trial.values(mine, DAY), actor=actor).number == 1


def test_roles_without_data_entry_and_other_sites_are_refused(trial, participant, make_actor):
    target = measured(trial)
    values = target.values(trial)
    with pytest.raises(NotPermittedError):
        do_save_form(participant, target.form.id, target.visit, values,
                     actor=make_actor(trial.data_manager))
    elsewhere = new_participant("S-900", site="ELSEWHERE")
    site_role = next(r for r in trial.entry_roles(target.form)
                     if trial.protocol.role(r).site_scoped)
    with pytest.raises(NotFoundError):
        do_save_form(elsewhere, target.form.id, target.visit, values,
                     actor=make_actor(site_role))
    assert not FormVersion.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_corrections_of_one_form_get_consecutive_version_numbers(
        flushable_audit, trial, study, make_actor):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    target = measured(trial)
    actor = make_actor(trial.entry_role(target.form))
    participant = new_participant()
    values = target.values(trial)
    do_save_form(participant, target.form.id, target.visit, values, actor=actor)
    low = values[target.item.id]
    changes = [low + 1 + n for n in range(16)]

    def correct(value) -> int:
        try:
            return do_save_form(participant, target.form.id, target.visit,
                                {**values, target.item.id: value}, actor=actor,
                                reason=f"re-measured: {value}").number
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = sorted(pool.map(correct, changes))
    assert numbers == list(range(2, 18))
    assert FormRecord.objects.get().latest_version == 17
    assert sorted(FormVersion.objects.values_list(f"data__{target.item.id}", flat=True)) == [
        low, *changes]
