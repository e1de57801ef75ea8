"""Investigator e-signatures on every protocol: password re-entry, printed name, meaning,
bound to a version."""

from __future__ import annotations

import pytest

from tests.integration.capture_support import DAY, new_participant, signed_form
from tests.integration.conftest import PASSWORD
from trialkit.web.trial.actions.base import (
    InvalidInputError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.forms import do_save_form, do_sign_form
from trialkit.web.trial.capture_queries import form_versions, signature_state
from trialkit.web.trial.models import AuditEvent, FormRecord, Signature

pytestmark = pytest.mark.protocols()
MEANING = "I confirm this assessment is accurate and complete"


@pytest.fixture
def to_sign(trial, study, make_actor):
    """A saved form the protocol wants signed, and who entered it."""
    form, visit = signed_form(trial)
    enterer = make_actor(trial.entry_role(form), username="form-enterer")
    record = do_save_form(new_participant(), form.id, visit, trial.values(form, DAY),
                          actor=enterer).record
    return record, form, visit


def test_a_signature_carries_the_printed_name_time_and_meaning_of_the_latest_version(
        to_sign, investigator):
    record, _, _ = to_sign
    signature = do_sign_form(record, PASSWORD, MEANING, actor=investigator)
    assert signature.printed_name == investigator.user.profile.printed_name
    assert (signature.version.number, signature.meaning) == (1, MEANING)
    state = signature_state(record, actor=investigator)
    assert state.required and state.signed and state.voided == []


def test_a_later_save_voids_the_signature_and_the_audit_trail_shows_it(
        trial, to_sign, investigator, make_actor):
    record, form, visit = to_sign
    do_sign_form(record, PASSWORD, MEANING, actor=investigator)
    date_item = next(i.id for i in form.items if i.type in ("date", "datetime") and i.required)
    changed = trial.values(form, DAY.replace(day=9))
    do_save_form(record.participant, form.id, visit, changed,
                 actor=make_actor(trial.entry_role(form), username="second-enterer"),
                 reason=f"{date_item} was the day before")
    record.refresh_from_db()
    state = signature_state(record, actor=investigator)
    assert not state.signed and [s.version for s in state.voided] == [1]
    assert Signature.objects.count() == 1  # kept, not deleted
    voided = AuditEvent.objects.get(action="void_signature")
    assert voided.new == {"version": 1, "valid": False, "superseded_by_version": 2}
    assert voided.reason == f"{date_item} was the day before"
    versions = form_versions(record, actor=investigator)
    assert [s.valid for s in versions[0].signatures] == [False]
    do_sign_form(record, PASSWORD, MEANING, actor=investigator)
    assert signature_state(record, actor=investigator).signed


def test_a_wrong_password_refuses_signing_and_the_attempt_is_audited(to_sign, investigator):
    record, _, _ = to_sign
    with pytest.raises(NotPermittedError) as refused:
        do_sign_form(record, "not my password", MEANING, actor=investigator)
    assert refused.value.field == "password"
    assert not Signature.objects.exists()
    assert AuditEvent.objects.filter(action="password_refused").count() == 1


def test_only_a_role_with_the_sign_permission_signs_and_says_what_it_means(
        to_sign, investigator, coordinator):
    record, _, _ = to_sign
    assert "sign" not in coordinator.protocol().role(coordinator.role).can
    with pytest.raises(NotPermittedError):
        do_sign_form(record, PASSWORD, MEANING, actor=coordinator)
    with pytest.raises(InvalidInputError) as no_meaning:
        do_sign_form(record, PASSWORD, " ", actor=investigator)
    assert no_meaning.value.field == "meaning"
    do_sign_form(record, PASSWORD, MEANING, actor=investigator)
    with pytest.raises(StateConflictError):
        do_sign_form(record, PASSWORD, MEANING, actor=investigator)
    assert Signature.objects.count() == 1


def test_a_form_without_data_cannot_be_signed(trial, study, investigator):
    form, visit = signed_form(trial)
    participant = new_participant("S-002")
    empty = FormRecord.objects.create(participant=participant, visit_id=visit, form_id=form.id,
                                      created_at=participant.enrolled_at)
    with pytest.raises(StateConflictError):
        do_sign_form(empty, PASSWORD, MEANING, actor=investigator)
