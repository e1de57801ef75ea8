"""Database locks per participant and for the study, on every protocol."""

from __future__ import annotations

import pytest

from tests.integration.capture_support import (
    DAY,
    adverse_event,
    measured,
    new_participant,
    signed_form,
)
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

pytestmark = pytest.mark.protocols()


def _save_measured(trial, participant, make_actor, username=None, **changes):
    target = measured(trial)
    actor = make_actor(trial.entry_role(target.form), username=username)
    return do_save_form(participant, target.form.id, target.visit,
                        target.values(trial, **changes), actor=actor), actor, target


def test_a_locked_participant_refuses_saves_and_queries(trial, participant, data_manager,
                                                        make_actor):
    saved, actor, target = _save_measured(trial, participant, make_actor)
    do_lock_participant(participant, actor=data_manager)
    with pytest.raises(StateConflictError) as refused:
        do_save_form(participant, target.form.id, target.visit, target.values(
            trial, **{target.item.id: target.other(saved.data[target.item.id])}),
            actor=actor, reason="late correction")
    assert refused.value.field == "participant"
    reporter = make_actor(trial.entry_role(trial.adverse_event_form), username="reporter")
    with pytest.raises(StateConflictError):
        do_save_form(participant, trial.adverse_event_form.id, "", adverse_event(trial),
                     actor=reporter)
    with pytest.raises(StateConflictError):
        do_raise_query(saved.record, target.item.id, "Value?", actor=data_manager)
    assert FormVersion.objects.count() == 1


def test_locking_waits_for_closed_queries_and_required_signatures(trial, participant,
                                                                   data_manager, make_actor):
    form, visit = signed_form(trial)
    enterer = make_actor(trial.entry_role(form), username="enterer")
    rated = do_save_form(participant, form.id, visit, trial.values(form, DAY),
                         actor=enterer).record
    item = next(i.id for i in form.items if i.required)
    query = do_raise_query(rated, item, "Source?", actor=data_manager)
    with pytest.raises(StateConflictError) as blocked:
        do_lock_participant(participant, actor=data_manager)
    assert "1 data query is not closed" in blocked.value.message
    assert form.id in blocked.value.message
    do_answer_query(query, "Worksheet, page 2", actor=make_actor(trial.screener))
    do_close_query(query, actor=data_manager)
    do_sign_form(rated, PASSWORD, "Reviewed and approved", actor=make_actor(trial.investigator))
    do_lock_participant(participant, actor=data_manager)
    participant.refresh_from_db()
    assert participant.locked_at is not None


def test_only_a_role_that_locks_data_locks_and_unlocking_needs_a_reason(
        trial, participant, coordinator, data_manager, make_actor):
    with pytest.raises(NotPermittedError):
        do_lock_participant(participant, actor=coordinator)
    do_lock_participant(participant, actor=data_manager)
    with pytest.raises(StateConflictError):
        do_lock_participant(participant, actor=data_manager)
    with pytest.raises(InvalidInputError) as no_reason:
        do_unlock_participant(participant, " ", actor=data_manager)
    assert no_reason.value.field == "reason"
    do_unlock_participant(participant, "late lab results arrived", actor=data_manager)
    _save_measured(trial, participant, make_actor, username="after-unlock")
    assert AuditEvent.objects.get(action="unlock_participant").reason == (
        "late lab results arrived")


@pytest.mark.protocols("blinded_until_lock")
def test_the_study_lock_locks_everyone_unblinds_the_statistician_and_is_final(
        trial, participant, data_manager, make_actor):
    waiting = [r.id for r in trial.protocol.roles if r.blinded_until_lock]
    statistician = make_actor(waiting[0])
    assert not statistician.sees("allocation")
    second = new_participant("S-002")
    do_lock_study(actor=data_manager)
    assert Participant.objects.filter(locked_at__isnull=True).count() == 0
    assert Study.objects.get(is_current=True).locked_at is not None
    assert statistician.sees("allocation")
    blinded_site_role = next(r.id for r in trial.roles("enter_data", blinded=True))
    assert not make_actor(blinded_site_role, username="still-blinded").sees("allocation")
    assert AuditEvent.objects.get(action="lock_study").new["roles_unblinded"] == waiting
    target = measured(trial)
    with pytest.raises(StateConflictError):
        do_save_form(second, target.form.id, target.visit, target.values(trial),
                     actor=make_actor(trial.entry_role(target.form), username="late"))
    with pytest.raises(StateConflictError):
        do_unlock_participant(second, "one more correction", actor=data_manager)
    with pytest.raises(StateConflictError):
        do_lock_study(actor=data_manager)


def test_the_study_lock_is_refused_while_any_query_is_unresolved(trial, participant,
                                                                  data_manager, make_actor):
    saved, _, target = _save_measured(trial, participant, make_actor)
    do_raise_query(saved.record, target.item.id, "Unit?", actor=data_manager)
    with pytest.raises(StateConflictError):
        do_lock_study(actor=data_manager)
    assert Study.objects.get(is_current=True).locked_at is None
    assert Participant.objects.get().locked_at is None
