"""Saving case report forms: validation, versions with reasons, edit-check queries, roles."""

from __future__ import annotations

import pytest

from tests.integration.capture_support import VITALS, edss, new_participant
from trialkit.web.trial.actions.base import (
    InvalidInputError,
    NotFoundError,
    NotPermittedError,
)
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.capture_queries import form_versions, item_audit_trail, queries_of
from trialkit.web.trial.models import AuditEvent, FormRecord, FormVersion, Query


@pytest.mark.parametrize(("form_id", "visit", "data", "item"), [
    ("EDSS", "SCR", edss((0, 0, 0, 0, 0, 0, 0, "x"), 0), "ambulation"),
    ("VS", "D0", {**VITALS, "temperature": "hot"}, "temperature"),
    ("VS", "D0", {**VITALS, "measured_at": "10 March 2025"}, "measured_at"),
    ("DM", "SCR", {"birth_date": "1980-13-01", "sex": "female"}, "birth_date"),
    ("DM", "SCR", {"birth_date": "1980-01-01", "sex": "female",
                   "childbearing_potential": "maybe"}, "childbearing_potential"),
    ("DM", "SCR", {"birth_date": "1980-01-01", "sex": "F"}, "sex"),
    ("MSHIST", "SCR", {"ms_course": "RRMS", "diagnosis_date": "2015-01-01", "prior_dmt": 3},
     "prior_dmt"),
    ("DM", "SCR", {"birth_date": "1980-01-01", "sex": "female", "weight": 60}, "weight"),
])
def test_an_invalid_item_of_any_type_is_refused_naming_it_and_nothing_is_saved(
        participant, coordinator, form_id, visit, data, item):
    with pytest.raises(InvalidInputError) as refused:
        do_save_form(participant, form_id, visit, data, actor=coordinator)
    assert refused.value.field == item
    assert not FormRecord.objects.exists() and not FormVersion.objects.exists()
    assert not AuditEvent.objects.filter(action="save_form").exists()


def test_a_value_outside_its_range_is_refused(participant, coordinator):
    with pytest.raises(InvalidInputError) as refused:
        do_save_form(participant, "VS", "D0", {**VITALS, "systolic_bp": 300}, actor=coordinator)
    assert refused.value.field == "systolic_bp"
    assert "at most 260" in refused.value.message


def test_a_form_must_belong_to_the_visit_it_is_entered_at(participant, coordinator):
    with pytest.raises(InvalidInputError) as wrong_visit:
        do_save_form(participant, "MRI", "D0", {"scan_date": "2025-03-01"}, actor=coordinator)
    with pytest.raises(InvalidInputError) as no_visit:
        do_save_form(participant, "VS", "", VITALS, actor=coordinator)
    with pytest.raises(InvalidInputError) as unknown_form:
        do_save_form(participant, "ECG", "D0", {}, actor=coordinator)
    assert (wrong_visit.value.field, no_visit.value.field, unknown_form.value.field) == (
        "visit_id", "visit_id", "form_id")


def test_edss_that_agrees_with_the_fs_grades_saves_without_a_query(participant, rater):
    version = do_save_form(participant, "EDSS", "SCR", edss((2, 2, 0, 0, 0, 0, 0, 0), 2.5),
                           actor=rater)
    assert version.number == 1 and version.data["edss_computed"] == 2.5
    assert not Query.objects.exists()


def test_edss_that_disagrees_with_the_fs_grades_saves_and_opens_an_automatic_query(
        participant, rater):
    version = do_save_form(participant, "EDSS", "SCR", edss((2, 2, 0, 0, 0, 0, 0, 0), 3.5),
                           actor=rater)
    [query] = queries_of(version.record, actor=rater)
    assert (query.item, query.status, query.automatic) == ("edss", "open", True)
    assert "differs from the computed 2.5" in query.text
    assert version.findings[0]["opens_query"] is True


def test_a_correction_that_resolves_the_disagreement_closes_the_automatic_query(
        participant, rater):
    do_save_form(participant, "EDSS", "SCR", edss((2, 2, 0, 0, 0, 0, 0, 0), 3.5), actor=rater)
    corrected = do_save_form(participant, "EDSS", "SCR", edss((2, 2, 0, 0, 0, 0, 0, 0), 2.5),
                             actor=rater, reason="transcription error, source says 2.5")
    [query] = queries_of(corrected.record, actor=rater)
    assert query.status == "closed"
    assert query.messages[-1][2] == "Resolved by version 2."


def test_rater_judgement_is_noted_on_the_version_without_a_query(participant, rater):
    version = do_save_form(participant, "EDSS", "SCR", edss((3, 3, 3, 0, 0, 0, 0, 0), 4.5),
                           actor=rater)
    assert [f["opens_query"] for f in version.findings] == [False]
    assert not Query.objects.exists()


def test_a_second_save_needs_a_reason_and_both_versions_stay_readable(participant, coordinator):
    do_save_form(participant, "VS", "D0", VITALS, actor=coordinator)
    changed = {**VITALS, "heart_rate": 88}
    with pytest.raises(InvalidInputError) as no_reason:
        do_save_form(participant, "VS", "D0", changed, actor=coordinator)
    assert no_reason.value.field == "reason"
    second = do_save_form(participant, "VS", "D0", changed, actor=coordinator,
                          reason="heart rate re-measured after rest was the wrong row")
    versions = form_versions(second.record, actor=coordinator)
    assert [(v.number, v.data["heart_rate"]) for v in versions] == [(1, 70), (2, 88)]
    assert versions[1].reason.startswith("heart rate")
    assert FormRecord.objects.get().latest_version == 2


def test_a_save_that_changes_nothing_is_refused(participant, coordinator):
    do_save_form(participant, "VS", "D0", VITALS, actor=coordinator)
    with pytest.raises(InvalidInputError) as same:
        do_save_form(participant, "VS", "D0", dict(VITALS), actor=coordinator, reason="again")
    assert same.value.field == "data"
    assert FormVersion.objects.count() == 1


def test_the_item_audit_trail_shows_old_and_new_with_who_when_and_why(participant, coordinator):
    first = do_save_form(participant, "VS", "D0", VITALS, actor=coordinator)
    do_save_form(participant, "VS", "D0", {**VITALS, "heart_rate": 64, "temperature": 37.2},
                 actor=coordinator, reason="values from the nursing chart")
    trail = item_audit_trail(first.record, actor=coordinator)
    assert [(c.version, c.old, c.new) for c in trail["heart_rate"]] == [(1, None, 70), (2, 70, 64)]
    assert trail["temperature"][-1].reason == "values from the nursing chart"
    assert trail["temperature"][-1].by == coordinator.name
    assert "systolic_bp" in trail and len(trail["systolic_bp"]) == 1
    event = AuditEvent.objects.filter(action="save_form").order_by("sequence").last()
    assert event.old["items"] == {"heart_rate": 70, "temperature": 36.7}
    assert event.new["items"] == {"heart_rate": 64, "temperature": 37.2}


def test_repeating_forms_get_a_new_entry_each_time_and_are_edited_by_index(participant,
                                                                          coordinator):
    first = do_save_form(participant, "RELAPSE", "", {"onset_date": "2025-01-05",
                         "symptoms": "optic neuritis", "confirmed": True}, actor=coordinator)
    second = do_save_form(participant, "RELAPSE", "", {"onset_date": "2025-02-20",
                          "symptoms": "leg weakness", "confirmed": False}, actor=coordinator)
    edited = do_save_form(participant, "RELAPSE", "", {"onset_date": "2025-02-20",
                          "symptoms": "leg weakness", "confirmed": True}, actor=coordinator,
                          reason="confirmed at the visit", repeat_index=2)
    assert (first.record.repeat_index, second.record.repeat_index) == (1, 2)
    assert (edited.record_id, edited.number) == (second.record_id, 2)
    with pytest.raises(NotFoundError):
        do_save_form(participant, "RELAPSE", "", {"onset_date": "2025-02-20",
                     "symptoms": "x", "confirmed": True}, actor=coordinator, reason="r",
                     repeat_index=9)


def test_the_blinded_rater_enters_only_assessment_forms(participant, rater):
    with pytest.raises(NotPermittedError) as vitals:
        do_save_form(participant, "VS", "D0", VITALS, actor=rater)
    assert vitals.value.field == "form_id"
    assert do_save_form(participant, "EDSS", "D0", edss((1, 0, 0, 0, 0, 0, 0, 0), 1.0),
                        actor=rater).number == 1


def test_roles_without_data_entry_and_other_sites_are_refused(participant, make_actor):
    with pytest.raises(NotPermittedError):
        do_save_form(participant, "VS", "D0", VITALS, actor=make_actor("data_manager"))
    elsewhere = new_participant("S-900", site="ELSEWHERE")
    with pytest.raises(NotFoundError):
        do_save_form(elsewhere, "VS", "D0", VITALS, actor=make_actor("coordinator"))
    assert not FormVersion.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_corrections_of_one_form_get_consecutive_version_numbers(
        flushable_audit, study, make_actor):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    coordinator = make_actor("coordinator")
    participant = new_participant()
    do_save_form(participant, "VS", "D0", VITALS, actor=coordinator)

    def correct(rate: int) -> int:
        try:
            return do_save_form(participant, "VS", "D0", {**VITALS, "heart_rate": rate},
                                actor=coordinator, reason=f"re-measured: {rate}").number
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = sorted(pool.map(correct, range(80, 96)))
    assert numbers == list(range(2, 18))
    assert FormRecord.objects.get().latest_version == 17
    assert sorted(FormVersion.objects.values_list("data__heart_rate", flat=True)) == [
        70, *range(80, 96)]
