"""Database locks per participant and for the study (two people, only once everyone has
ended), on every protocol."""

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
    do_request_study_lock,
    do_unlock_participant,
    do_withdraw_study_lock_request,
)
from trialkit.web.trial.actions.queries import do_answer_query, do_close_query, do_raise_query
from trialkit.web.trial.models import (
    AuditEvent,
    FormVersion,
    Participant,
    Study,
    StudyLockRequest,
)

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
    assert form.name in blocked.value.message  # by name, not id
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


def _ended(*participants) -> None:
    """Setup: the participants have left the trial (how is the participant journey's test)."""
    Participant.objects.filter(pk__in=[p.pk for p in participants]).update(
        status=Participant.Status.COMPLETED)


@pytest.fixture
def second_data_manager(make_actor, trial):
    return make_actor(trial.data_manager, username="second-data-manager")


def _lock(first, second, trial) -> Study:
    do_request_study_lock("Last participant's final visit done; data clean", PASSWORD,
                          actor=first)
    return do_lock_study(trial.protocol.identity.id, PASSWORD, actor=second)


@pytest.mark.protocols("blinded_until_lock")
def test_the_study_lock_locks_everyone_unblinds_the_statistician_and_is_final(
        trial, participant, data_manager, second_data_manager, make_actor):
    waiting = [r.id for r in trial.protocol.roles if r.blinded_until_lock]
    statistician = make_actor(waiting[0])
    assert not statistician.sees("allocation")
    second = new_participant("S-002")
    _ended(participant, second)
    _lock(data_manager, second_data_manager, trial)
    assert Participant.objects.filter(locked_at__isnull=True).count() == 0
    assert Study.objects.get(is_current=True).locked_at is not None
    assert statistician.sees("allocation")
    blinded_site_role = next(r.id for r in trial.roles("enter_data", blinded=True))
    assert not make_actor(blinded_site_role, username="still-blinded").sees("allocation")
    locked = AuditEvent.objects.get(action="lock_study").new
    assert locked["roles_unblinded"] == waiting
    assert (locked["requested_by"], locked["confirmed_by"]) == (data_manager.name,
                                                                second_data_manager.name)
    target = measured(trial)
    with pytest.raises(StateConflictError):
        do_save_form(second, target.form.id, target.visit, target.values(trial),
                     actor=make_actor(trial.entry_role(target.form), username="late"))
    with pytest.raises(StateConflictError):
        do_unlock_participant(second, "one more correction", actor=data_manager)
    with pytest.raises(StateConflictError):
        do_request_study_lock("again", PASSWORD, actor=data_manager)


def test_the_study_lock_is_refused_while_any_query_is_unresolved(trial, participant,
                                                                  data_manager, make_actor):
    saved, _, target = _save_measured(trial, participant, make_actor)
    do_raise_query(saved.record, target.item.id, "Unit?", actor=data_manager)
    _ended(participant)
    with pytest.raises(StateConflictError) as refused:
        do_request_study_lock("Data clean", PASSWORD, actor=data_manager)
    assert "not closed" in refused.value.message
    assert Study.objects.get(is_current=True).locked_at is None
    assert Participant.objects.get().locked_at is None


@pytest.mark.parametrize("status", ["screening", "consented", "enrolled"])
def test_the_study_lock_is_refused_while_a_participant_is_still_in_the_trial(
        trial, participant, data_manager, second_data_manager, status):
    """Mid-trial (someone still screening, consented or in follow-up) neither the request nor
    the confirmation passes; completed, withdrawn and other endings do not block."""
    finished = new_participant("S-002")
    _ended(finished)
    Participant.objects.filter(pk=participant.pk).update(status=status)
    with pytest.raises(StateConflictError) as refused:
        do_request_study_lock("Looks done", PASSWORD, actor=data_manager)
    assert "1 participant is still in the trial" in refused.value.message
    assert StudyLockRequest.objects.count() == 0
    # A request made once everyone had ended does not carry over to a participant back in.
    Participant.objects.filter(pk=participant.pk).update(status="withdrawn")
    do_request_study_lock("Everyone has ended", PASSWORD, actor=data_manager)
    Participant.objects.filter(pk=participant.pk).update(status=status)
    with pytest.raises(StateConflictError):
        do_lock_study(trial.protocol.identity.id, PASSWORD, actor=second_data_manager)
    assert Study.objects.get(is_current=True).locked_at is None
    assert AuditEvent.objects.filter(action="action_refused",
                                     new__action="lock_study").count() == 1


def test_the_study_lock_takes_a_second_person_who_types_the_trial_id(
        trial, participant, data_manager, second_data_manager):
    _ended(participant)
    trial_id = trial.protocol.identity.id
    with pytest.raises(StateConflictError) as nobody_asked:
        do_lock_study(trial_id, PASSWORD, actor=second_data_manager)
    assert nobody_asked.value.field == "request"
    do_request_study_lock("Final visit done; queries closed", PASSWORD, actor=data_manager)
    with pytest.raises(NotPermittedError) as same_person:
        do_lock_study(trial_id, PASSWORD, actor=data_manager)
    assert "second person" in same_person.value.message
    with pytest.raises(InvalidInputError) as mistyped:
        do_lock_study(trial_id.lower() + "x", PASSWORD, actor=second_data_manager)
    assert mistyped.value.field == "confirmation"
    with pytest.raises(NotPermittedError) as wrong_password:
        do_lock_study(trial_id, "not my password", actor=second_data_manager)
    assert wrong_password.value.field == "password"
    assert Study.objects.get(is_current=True).locked_at is None
    assert AuditEvent.objects.filter(action="password_refused").count() == 1
    do_lock_study(f"  {trial_id} ", PASSWORD, actor=second_data_manager)
    assert Study.objects.get(is_current=True).locked_at is not None
    assert StudyLockRequest.objects.get().outcome == "locked"


def test_the_request_needs_a_password_and_a_reason_and_may_be_withdrawn(
        trial, participant, data_manager, second_data_manager, coordinator):
    _ended(participant)
    with pytest.raises(NotPermittedError):
        do_request_study_lock("Done", "wrong", actor=data_manager)
    with pytest.raises(InvalidInputError) as no_reason:
        do_request_study_lock("  ", PASSWORD, actor=data_manager)
    assert no_reason.value.field == "reason"
    with pytest.raises(NotPermittedError):
        do_request_study_lock("Done", PASSWORD, actor=coordinator)
    do_request_study_lock("Done", PASSWORD, actor=data_manager)
    with pytest.raises(StateConflictError):  # one pending request at a time
        do_request_study_lock("Done too", PASSWORD, actor=second_data_manager)
    do_withdraw_study_lock_request("A late laboratory result is expected",
                                   actor=second_data_manager)
    with pytest.raises(StateConflictError):
        do_lock_study(trial.protocol.identity.id, PASSWORD, actor=second_data_manager)
    assert [e.action for e in AuditEvent.objects.filter(
        action__in=["request_study_lock", "withdraw_study_lock_request"])] == [
        "request_study_lock", "withdraw_study_lock_request"]
    assert Study.objects.get(is_current=True).locked_at is None
