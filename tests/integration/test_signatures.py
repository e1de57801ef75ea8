"""Investigator e-signatures: password re-entry, printed name, meaning, bound to a version."""

from __future__ import annotations

import pytest

from tests.integration.capture_support import edss, new_participant
from tests.integration.conftest import PASSWORD
from trialkit.web.trial.actions.base import (
    InvalidInputError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.forms import do_save_form, do_sign_form
from trialkit.web.trial.capture_queries import form_versions, signature_state
from trialkit.web.trial.models import AuditEvent, FormRecord, Signature

MEANING = "I confirm this assessment is accurate and complete"


@pytest.fixture
def edss_form(study, make_actor):
    participant = new_participant()
    return do_save_form(participant, "EDSS", "SCR", edss((2, 0, 0, 0, 0, 0, 0, 0), 2.0),
                        actor=make_actor("edss_rater")).record


def test_a_signature_carries_the_printed_name_time_and_meaning_of_the_latest_version(
        edss_form, investigator):
    signature = do_sign_form(edss_form, PASSWORD, MEANING, actor=investigator)
    assert signature.printed_name == "Investigator Cmuh"
    assert (signature.version.number, signature.meaning) == (1, MEANING)
    state = signature_state(edss_form, actor=investigator)
    assert state.required and state.signed and state.voided == []


def test_a_later_save_voids_the_signature_and_the_audit_trail_shows_it(edss_form,
                                                                        investigator,
                                                                        make_actor):
    do_sign_form(edss_form, PASSWORD, MEANING, actor=investigator)
    do_save_form(edss_form.participant, "EDSS", "SCR", edss((2, 0, 0, 0, 0, 0, 0, 0), 2.0,
                                                            day="2025-03-09"),
                 actor=make_actor("edss_rater", username="rater2"),
                 reason="assessment date was the day before")
    edss_form.refresh_from_db()
    state = signature_state(edss_form, actor=investigator)
    assert not state.signed and [s.version for s in state.voided] == [1]
    assert Signature.objects.count() == 1  # kept, not deleted
    voided = AuditEvent.objects.get(action="void_signature")
    assert voided.new == {"version": 1, "valid": False, "superseded_by_version": 2}
    assert voided.reason == "assessment date was the day before"
    versions = form_versions(edss_form, actor=investigator)
    assert [s.valid for s in versions[0].signatures] == [False]
    do_sign_form(edss_form, PASSWORD, MEANING, actor=investigator)
    assert signature_state(edss_form, actor=investigator).signed


def test_a_wrong_password_refuses_signing_and_the_attempt_is_audited(edss_form, investigator):
    with pytest.raises(NotPermittedError) as refused:
        do_sign_form(edss_form, "not my password", MEANING, actor=investigator)
    assert refused.value.field == "password"
    assert not Signature.objects.exists()
    assert AuditEvent.objects.filter(action="sign_form_refused").count() == 1


def test_only_a_role_with_the_sign_permission_signs_and_says_what_it_means(edss_form,
                                                                           investigator,
                                                                           make_actor):
    with pytest.raises(NotPermittedError):
        do_sign_form(edss_form, PASSWORD, MEANING, actor=make_actor("coordinator"))
    with pytest.raises(InvalidInputError) as no_meaning:
        do_sign_form(edss_form, PASSWORD, " ", actor=investigator)
    assert no_meaning.value.field == "meaning"
    do_sign_form(edss_form, PASSWORD, MEANING, actor=investigator)
    with pytest.raises(StateConflictError):
        do_sign_form(edss_form, PASSWORD, MEANING, actor=investigator)
    assert Signature.objects.count() == 1


def test_a_form_without_data_cannot_be_signed(study, investigator):
    participant = new_participant("S-002")
    empty = FormRecord.objects.create(participant=participant, visit_id="SCR", form_id="EDSS",
                                      created_at=participant.enrolled_at)
    with pytest.raises(StateConflictError):
        do_sign_form(empty, PASSWORD, MEANING, actor=investigator)
