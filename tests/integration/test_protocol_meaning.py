"""What the web layer does follows what the protocol says, not item ids or role names:
who enters a form, which edit checks open queries, who is told of what."""

from __future__ import annotations

import pytest

from tests.integration.capture_support import VITALS, adverse_event, new_participant
from tests.integration.conftest import PASSWORD
from tests.integration.protocol_variants import Document, form_of, role_of, variant
from trialkit.web.trial.actions.accounts import do_create_user, do_grant_role
from trialkit.web.trial.actions.base import InvalidInputError, NotPermittedError, actor_for
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.oversight import do_sign_safety_decision
from trialkit.web.trial.actions.study import do_load_protocol
from trialkit.web.trial.models import Notification, Query, Study
from trialkit.web.trial.study import current_study, protocol_of


def _load(tmp_path, change):
    """Load a variant of the reference protocol as the study; returns a role → actor maker."""
    do_load_protocol(variant(tmp_path, change), actor=None)
    user = do_create_user("admin", PASSWORD, "Ada Admin", actor=None)
    do_grant_role(user, "administrator", None, actor=None)
    admin = actor_for(user, "administrator")

    def make(role: str):
        site = "CMUH" if protocol_of(current_study()).role(role).site_scoped else None
        person = do_create_user(f"{role}-user", PASSWORD, role.title(), actor=admin)
        do_grant_role(person, role, site, actor=admin)
        return actor_for(person, role)

    return make


def test_who_enters_a_form_is_the_forms_entered_by(db, tmp_path):
    def demographics_by_investigators_and_monitors(document: Document) -> None:
        form_of(document, "demographics")["entered_by"] = ["investigator", "monitor"]

    make = _load(tmp_path, demographics_by_investigators_and_monitors)
    form = next(f for f in protocol_of(current_study()).forms if f.kind == "demographics")
    data = {"birth_date": "1980-01-01", "sex": "female"}
    participant = new_participant()
    with pytest.raises(NotPermittedError, match="entered by investigator, monitor"):
        do_save_form(participant, form.id, "SCR", data, actor=make("coordinator"))
    with pytest.raises(NotPermittedError, match="may not enter data"):
        do_save_form(participant, form.id, "SCR", data, actor=make("monitor"))
    assert do_save_form(participant, form.id, "SCR", data, actor=make("investigator")).number == 1


def test_a_failing_protocol_edit_check_opens_a_query_with_the_protocols_message(
        participant, coordinator):
    form = protocol_of(current_study()).form("VS")
    [check] = form.checks
    do_save_form(participant, "VS", "SCR", {**VITALS, "systolic_bp": 110, "diastolic_bp": 115},
                 actor=coordinator)
    query = Query.objects.get()
    assert (query.item_id, query.text, query.automatic) == (check.item, check.message, True)


def test_an_edit_check_naming_a_code_its_list_lacks_is_refused_when_the_protocol_is_loaded(
        db, tmp_path):
    def misspelt_outcome(document: Document) -> None:
        form_of(document, "adverse_event")["checks"][-1]["when"] = 'outcome == "died"'

    with pytest.raises(InvalidInputError, match='"died" is not a code of outcome') as refused:
        do_load_protocol(variant(tmp_path, misspelt_outcome), actor=None)
    assert refused.value.field == "checks" and not Study.objects.exists()


def test_serious_events_alert_the_roles_the_protocol_names_and_no_role_called_sponsor(
        db, tmp_path):
    def only_the_data_manager_hears(document: Document) -> None:
        for role in document["roles"]:
            role.pop("notified_of", None)
        role_of(document, "data_manager")["notified_of"] = ["serious_adverse_event"]

    make = _load(tmp_path, only_the_data_manager_hears)
    do_save_form(new_participant(), "AE", "", adverse_event(
        serious=True, sae_hospitalisation=True, ctcae_grade=3), actor=make("coordinator"))
    [note] = Notification.objects.all()
    assert note.recipient_role == "data_manager"
    assert "grade 3" in note.body and "hospitalisation" in note.body


def test_a_signed_committee_decision_notifies_the_roles_that_follow_decisions(
        db, tmp_path):
    make = _load(tmp_path, lambda document: None)
    protocol = protocol_of(current_study())
    gate = protocol.gates.committee[0]
    do_sign_safety_decision(gate.decisions[0], "Reviewed the safety tables", PASSWORD,
                            actor=make(gate.signer_role))
    told = {r.id for r in protocol.roles if "committee_decision" in r.notified_of}
    notes = Notification.objects.all()
    assert told and {n.recipient_role for n in notes} == told
    assert all(gate.committee in n.subject and "Reviewed" not in n.body for n in notes)
