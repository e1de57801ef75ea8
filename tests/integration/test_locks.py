"""Database locks per participant and for the study."""

from __future__ import annotations

import pytest

from tests.integration.capture_support import VITALS, adverse_event, edss, new_participant
from tests.integration.conftest import PASSWORD
from trialkit.web.trial.actions.base import (
    InvalidInputError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.forms import do_save_form, do_sign_form
from trialkit.web.trial.actions.locks import (
    do_lock_participant,
    do_lock_study,
    do_unlock_participant,
)
from trialkit.web.trial.actions.queries import do_answer_query, do_close_query, do_raise_query
from trialkit.web.trial.models import AuditEvent, FormVersion, Participant, Study


def test_a_locked_participant_refuses_saves_and_queries(participant, coordinator, data_manager):
    vitals = do_save_form(participant, "VS", "D0", VITALS, actor=coordinator).record
    do_lock_participant(participant, actor=data_manager)
    with pytest.raises(StateConflictError) as refused:
        do_save_form(participant, "VS", "D0", {**VITALS, "heart_rate": 90}, actor=coordinator,
                     reason="late correction")
    assert refused.value.field == "participant"
    with pytest.raises(StateConflictError):
        do_save_form(participant, "AE", "", adverse_event(), actor=coordinator)
    with pytest.raises(StateConflictError):
        do_raise_query(vitals, "heart_rate", "Rate?", actor=data_manager)
    assert FormVersion.objects.count() == 1


def test_locking_waits_for_closed_queries_and_required_signatures(participant, coordinator,
                                                                   data_manager, make_actor):
    rated = do_save_form(participant, "EDSS", "SCR", edss((1, 0, 0, 0, 0, 0, 0, 0), 1.0),
                         actor=make_actor("edss_rater")).record
    query = do_raise_query(rated, "edss", "Source?", actor=data_manager)
    with pytest.raises(StateConflictError) as blocked:
        do_lock_participant(participant, actor=data_manager)
    assert "1 data query is not closed" in blocked.value.message
    assert "EDSS" in blocked.value.message
    do_answer_query(query, "Neurostatus sheet, page 2", actor=coordinator)
    do_close_query(query, actor=data_manager)
    do_sign_form(rated, PASSWORD, "Reviewed and approved", actor=make_actor("investigator"))
    do_lock_participant(participant, actor=data_manager)
    participant.refresh_from_db()
    assert participant.locked_at is not None


def test_only_a_role_that_locks_data_locks_and_unlocking_needs_a_reason(participant,
                                                                         coordinator,
                                                                         data_manager):
    with pytest.raises(NotPermittedError):
        do_lock_participant(participant, actor=coordinator)
    do_lock_participant(participant, actor=data_manager)
    with pytest.raises(StateConflictError):
        do_lock_participant(participant, actor=data_manager)
    with pytest.raises(InvalidInputError) as no_reason:
        do_unlock_participant(participant, " ", actor=data_manager)
    assert no_reason.value.field == "reason"
    do_unlock_participant(participant, "late lab results arrived", actor=data_manager)
    do_save_form(participant, "VS", "D0", VITALS, actor=coordinator)
    assert AuditEvent.objects.get(action="unlock_participant").reason == (
        "late lab results arrived")


def test_the_study_lock_locks_everyone_unblinds_the_statistician_and_is_final(
        participant, coordinator, data_manager, make_actor):
    statistician = make_actor("statistician")
    assert not statistician.sees("allocation")
    second = new_participant("S-002")
    do_lock_study(actor=data_manager)
    assert Participant.objects.filter(locked_at__isnull=True).count() == 0
    assert Study.objects.get(is_current=True).locked_at is not None
    assert statistician.sees("allocation")
    assert not make_actor("coordinator", username="c2").sees("allocation")
    assert AuditEvent.objects.get(action="lock_study").new["roles_unblinded"] == ["statistician"]
    with pytest.raises(StateConflictError):
        do_save_form(second, "VS", "D0", VITALS, actor=coordinator)
    with pytest.raises(StateConflictError):
        do_unlock_participant(second, "one more correction", actor=data_manager)
    with pytest.raises(StateConflictError):
        do_lock_study(actor=data_manager)


def test_the_study_lock_is_refused_while_any_query_is_unresolved(participant, coordinator,
                                                                  data_manager):
    vitals = do_save_form(participant, "VS", "D0", VITALS, actor=coordinator).record
    do_raise_query(vitals, "temperature", "Unit?", actor=data_manager)
    with pytest.raises(StateConflictError):
        do_lock_study(actor=data_manager)
    assert Study.objects.get(is_current=True).locked_at is None
    assert Participant.objects.get().locked_at is None
