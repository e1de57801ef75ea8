"""What the web layer does follows what each protocol says, not item ids or role names: who
enters a form, which edit checks open queries with which message, who is told of what. Each
test loads a variant of the protocol under test that says something else, and the server
follows it."""

from __future__ import annotations

import re

import pytest

from tests.accounts_support import grant
from tests.integration.capture_support import DAY, adverse_event, new_participant
from tests.integration.committee_support import open_report
from tests.integration.conftest import PASSWORD
from tests.integration.protocol_variants import Document, form_of, role_of, variant
from trialkit.core.protocol.problems import ProtocolError
from trialkit.web.trial.actions.accounts import do_create_user, do_grant_role
from trialkit.web.trial.actions.base import InvalidInputError, NotPermittedError, actor_for
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.actions.oversight import do_sign_safety_decision
from trialkit.web.trial.actions.study import do_load_protocol
from trialkit.web.trial.models import Notification, Query, Study
from trialkit.web.trial.study import current_study, protocol_of

pytestmark = pytest.mark.protocols()


def _load(trial, tmp_path, change):
    """Load a variant of the trial's protocol as the study; returns a role → actor maker."""
    do_load_protocol(variant(tmp_path, change, source=trial.path), actor=None)
    user = do_create_user("admin", PASSWORD, "Ada Admin", actor=None)
    do_grant_role(user, trial.administrator, None, actor=None)
    admin = actor_for(user, trial.administrator)

    def make(role: str):
        site = trial.site if protocol_of(current_study()).role(role).site_scoped else None
        person = do_create_user(f"{role}-user", PASSWORD, role.title(), actor=admin)
        grant(person, role, site, admin=admin)  # a second administrator approves
        return actor_for(person, role)

    return make


def test_who_enters_a_form_is_the_forms_entered_by(trial, db, tmp_path):
    form = trial.forms_of_kind("demographics")[0]
    others = [r for r in trial.entry_roles(form) if r != trial.investigator]

    def demographics_by_the_investigator_only(document: Document) -> None:
        form_of(document, "demographics")["entered_by"] = [trial.investigator]

    make = _load(trial, tmp_path, demographics_by_the_investigator_only)
    visit = trial.visits_collecting(form)[0]
    data = trial.values(form, DAY)
    participant = new_participant()
    for role in others:
        with pytest.raises(NotPermittedError, match=f"entered by {trial.investigator}"):
            do_save_form(participant, form.id, visit, data, actor=make(role))
    assert do_save_form(participant, form.id, visit, data,
                        actor=make(trial.investigator)).number == 1


def test_a_role_listed_to_enter_a_form_without_the_permission_is_refused_at_load(
        trial, db, tmp_path):
    def demographics_by_the_monitor(document: Document) -> None:
        form_of(document, "demographics")["entered_by"] = [trial.monitor]

    with pytest.raises((ProtocolError, InvalidInputError), match="enter_data"):
        do_load_protocol(variant(tmp_path, demographics_by_the_monitor, source=trial.path),
                         actor=None)
    assert not Study.objects.exists()


_LESS_THAN = re.compile(r"^\s*(\w+)\s*<\s*(\w+)\s*$")


def _ordering_check(trial):
    """A form check ``A < B`` between two numeric items, and the form."""
    for form in trial.protocol.forms:
        for check in form.checks:
            match = _LESS_THAN.match(check.expression)
            if match and not check.when:
                return form, check, form.item(match[1]), form.item(match[2])
    raise AssertionError(f"{trial.stem} has no check comparing two items with <")


def test_a_failing_protocol_edit_check_opens_a_query_with_the_protocols_message(
        trial, participant, make_actor):
    form, check, smaller, larger = _ordering_check(trial)
    value = max(smaller.range.min, larger.range.min) + 1
    data = trial.values(form, DAY, **{smaller.id: value + 5, larger.id: value})
    do_save_form(participant, form.id, trial.visits_collecting(form)[0], data,
                 actor=make_actor(trial.entry_role(form)))
    query = Query.objects.get()
    assert (query.item_id, query.text, query.automatic) == (check.item, check.message, True)


_EQUALS_CODE = re.compile(r'(\w+)\s*==\s*"([^"]+)"')


def test_an_edit_check_naming_a_code_its_list_lacks_is_refused_when_the_protocol_is_loaded(
        trial, db, tmp_path):
    form, key, item = next((f, key, m[1]) for f in trial.protocol.forms for c in f.checks
                           for key in ("when", "expression")
                           if (m := _EQUALS_CODE.search(getattr(c, key) or "")))
    index = next(j for j, c in enumerate(form.checks)
                 if _EQUALS_CODE.search(getattr(c, key) or ""))

    def misspelt_code(document: Document) -> None:
        check = next(f for f in document["forms"] if f["id"] == form.id)["checks"][index]
        check[key] = _EQUALS_CODE.sub(lambda m: f'{m[1]} == "died"', check[key], count=1)

    with pytest.raises((ProtocolError, InvalidInputError),
                       match=f'"died" is not a code of {item}'):
        do_load_protocol(variant(tmp_path, misspelt_code, source=trial.path), actor=None)
    assert not Study.objects.exists()


def test_serious_events_alert_the_roles_the_protocol_names_and_no_role_called_sponsor(
        trial, db, tmp_path):
    def only_the_data_manager_hears(document: Document) -> None:
        for role in document["roles"]:
            role.pop("notified_of", None)
        role_of(document, trial.data_manager)["notified_of"] = ["serious_adverse_event"]

    make = _load(trial, tmp_path, only_the_data_manager_hears)
    form = trial.adverse_event_form
    do_save_form(new_participant(), form.id, "", adverse_event(trial, serious=True),
                 actor=make(trial.entry_role(form)))
    [note] = Notification.objects.all()
    assert note.recipient_role == trial.data_manager
    assert "hospitalisation" in note.body


@pytest.mark.protocols("committee_gate")
def test_a_signed_committee_decision_notifies_the_roles_that_follow_decisions(
        trial, db, tmp_path):
    make = _load(trial, tmp_path, lambda document: None)
    protocol = protocol_of(current_study())
    gate = protocol.gates.committee[0]
    chair = make(gate.signer_role)  # make() creates a user: one chair, who also reports
    do_sign_safety_decision(gate.decisions[0], "Reviewed the safety tables", PASSWORD,
                            actor=chair, report_sha256=open_report(
                                lambda role: chair if role == chair.role else make(role),
                                protocol))
    told = {r.id for r in protocol.roles if "committee_decision" in r.notified_of}
    notes = Notification.objects.all()
    assert told and {n.recipient_role for n in notes} == told
    assert all(gate.committee in n.subject and "Reviewed" not in n.body for n in notes)
