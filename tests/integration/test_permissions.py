"""Every permission a protocol can grant is checked by some action or page.

For each ``Permission`` literal the test loads a protocol with two probe roles that see every
kind of unblinded information: one holding only that permission, one holding none. The
holder of a permission is listed wherever the protocol names who does that (who enters forms,
prepares kits, signs the committee's decisions); the loader refuses a role listed for a task
without its permission, so the probe holding none is listed nowhere. Its scenario, run as each, must be refused to the role without
the permission and let past the permission check for the role with it (the scenario may still
end in another refusal, such as a participant who is not enrolled yet).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, get_args

import pytest
from django.utils import timezone

from tests.accounts_support import grant
from tests.integration.capture_support import new_participant
from tests.integration.committee_support import open_report
from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import signed_in
from tests.integration.protocol_variants import Document, filled, variant, visit_of
from trialkit.core.protocol.roles import BlindedInformation, Permission
from trialkit.web.trial.actions.accounts import do_create_user, do_grant_role
from trialkit.web.trial.actions.adverse_events import do_report_serious_event
from trialkit.web.trial.actions.base import ActionError, Actor, NotPermittedError, actor_for
from trialkit.web.trial.actions.dosing import do_record_administration
from trialkit.web.trial.actions.forms import do_save_form, do_sign_form
from trialkit.web.trial.actions.locks import do_lock_participant
from trialkit.web.trial.actions.oversight import do_sign_safety_decision, do_unblind_participant
from trialkit.web.trial.actions.participants import (
    do_enrol_participant,
    do_record_consent,
    do_register_candidate,
)
from trialkit.web.trial.actions.preparations import do_confirm_preparation
from trialkit.web.trial.actions.queries import do_answer_query, do_close_query, do_raise_query
from trialkit.web.trial.actions.randomization import (
    do_generate_randomization_list,
    do_randomize_participant,
)
from trialkit.web.trial.actions.study import do_load_protocol
from trialkit.web.trial.models import FormRecord, Participant, Query
from trialkit.web.trial.study import current_study, protocol_of

NONE = "probe_none"
SEES = list(get_args(BlindedInformation))


def probe(permission: str) -> str:
    return f"probe_{permission}"


def _with_probes(document: Document) -> None:
    roles = [{"id": probe(p), "name": f"Probe {p}", "description": "test", "sees": SEES,
              "can": [p], "site_scoped": False} for p in get_args(Permission)]
    document["roles"].extend([*roles, {"id": NONE, "name": "Probe none",
                                       "description": "test", "sees": SEES,
                                       "site_scoped": False}])
    for form in document["forms"]:  # the probe holding the permission the form's kind needs
        needed = "report_adverse_event" if form["kind"] == "adverse_event" else "enter_data"
        form["entered_by"] = [*form["entered_by"], probe(needed)]
        if form.get("read_by") is not None:  # who enters a form reads it
            form["read_by"] = [*form["read_by"], probe(needed)]
    for administration in document["design"]["administrations"]:
        administration["prepared_by"] = probe("prepare_kit")
    for gate in document["gates"]["committee"]:
        gate["signer_role"] = probe("decide_safety")


class World:
    """Fresh objects for each scenario, made by roles that may make them."""

    def __init__(self, admin: Actor) -> None:
        self.admin, self.numbers = admin, itertools.count(1)
        self.actors: dict[str, Actor] = {}

    def actor(self, role: str) -> Actor:
        if role not in self.actors:
            user = do_create_user(role, PASSWORD, role.replace("_", " "), actor=self.admin)
            grant(user, role, None, admin=self.admin)  # a second administrator approves
            self.actors[role] = actor_for(user, role)
        return self.actors[role]

    @property
    def protocol(self) -> Any:
        return self.admin.protocol()

    def participant(self) -> Participant:
        return new_participant(f"W-{next(self.numbers):03d}")

    def form(self, kind: str) -> Any:
        return next(f for f in self.protocol.forms if f.kind == kind)

    def record(self) -> FormRecord:
        form = self.form("demographics")
        version = do_save_form(self.participant(), form.id, visit_of(self.protocol, form),
                               filled(self.protocol, form), actor=self.actor(probe("enter_data")))
        return version.record

    def query(self) -> Query:
        record = self.record()
        return do_raise_query(record, "", "Please check.", actor=self.actor(probe("raise_query")))

    def serious_event(self) -> FormRecord:
        form = self.form("adverse_event")
        serious = form.item_with("AE", "AESER").id
        version = do_save_form(self.participant(), form.id, "", filled(
            self.protocol, form, **{serious: True}), actor=self.actor(probe("report_adverse_event")))
        return version.record

    def get(self, actor: Actor, url: str) -> None:
        """A page or API read as the actor; a 403 is a refusal like an action's."""
        status = signed_in(actor.name, PASSWORD, actor.role).get(url).status_code
        if status == 403:
            raise NotPermittedError(f"{url} refused")
        assert status < 400, (url, status)


Scenario = Callable[[World, Actor], object]


def _save(kind: str) -> Scenario:
    def run(w: World, a: Actor) -> object:
        form = w.form(kind)
        return do_save_form(w.participant(), form.id, visit_of(w.protocol, form),
                            filled(w.protocol, form), actor=a)
    return run


def _dose(differs_by_arm: bool) -> Scenario:
    def run(w: World, a: Actor) -> object:
        administration = next(x for x in w.protocol.design.administrations
                              if x.differs_by_arm == differs_by_arm)
        return do_record_administration(w.participant(), administration.id, timezone.now(),
                                        actor=a)
    return run


SCENARIOS: dict[str, Scenario] = {
    "screen": lambda w, a: do_register_candidate(f"R-{next(w.numbers)}",
                                                 w.protocol.identity.sites[0].id, actor=a),
    "consent": lambda w, a: do_record_consent(w.participant(), timezone.localdate(), "v1",
                                              "Dr A", actor=a),
    "enrol": lambda w, a: do_enrol_participant(w.participant(), w.protocol.design.parts[0].id,
                                               actor=a),
    "randomize": lambda w, a: do_randomize_participant(w.participant(), actor=a),
    "enter_data": _save("demographics"),
    "sign": lambda w, a: do_sign_form(w.record(), PASSWORD, "I confirm", actor=a),
    "record_administration": _dose(differs_by_arm=False),
    "prepare_kit": lambda w, a: do_confirm_preparation(
        "NO-KIT", w.protocol.design.administrations[0].id, actor=a),
    "perform_procedure": _dose(differs_by_arm=True),
    "report_adverse_event": lambda w, a: do_report_serious_event(w.serious_event(), "Sponsor",
                                                               actor=a),
    "raise_query": lambda w, a: do_raise_query(w.record(), "", "Why?", actor=a),
    "answer_query": lambda w, a: do_answer_query(w.query(), "Because.", actor=a),
    "close_query": lambda w, a: do_close_query(w.query(), "", actor=a),
    "verify_source": lambda w, a: w.get(a, "/api/exports/participants.json"),
    "code_terms": lambda w, a: w.get(a, "/coding/"),
    "review_safety": lambda w, a: w.get(a, "/committee/"),
    "decide_safety": lambda w, a: do_sign_safety_decision(
        w.protocol.gates.committee[0].decisions[0], "Reviewed", PASSWORD, actor=a,
        report_sha256=open_report(w.actor, w.protocol)),
    "emergency_unblind": lambda w, a: do_unblind_participant(w.participant(), "Emergency",
                                                             PASSWORD, actor=a),
    "manage_randomization": lambda w, a: do_generate_randomization_list(actor=a),
    "lock_data": lambda w, a: do_lock_participant(w.participant(), actor=a),
    "export_data": lambda w, a: w.get(a, "/api/exports/participants.json"),
    "view_audit": lambda w, a: w.get(a, "/audit/"),
    "manage_users": lambda w, a: do_create_user(f"new-{next(w.numbers)}", PASSWORD, "New",
                                                actor=a),
}


@pytest.fixture
def world(db, tmp_path):
    do_load_protocol(variant(tmp_path, _with_probes), actor=None)
    user = do_create_user("admin", PASSWORD, "Ada Admin", actor=None)
    do_grant_role(user, "administrator", None, actor=None)
    return World(actor_for(user, "administrator"))


def test_every_permission_literal_has_a_scenario():
    assert set(SCENARIOS) == set(get_args(Permission))


@pytest.mark.parametrize("permission", sorted(SCENARIOS))
def test_the_permission_is_checked_where_it_applies(world, permission):
    assert protocol_of(current_study()).role(probe(permission)).can == (permission,)
    scenario = SCENARIOS[permission]
    with pytest.raises(NotPermittedError):
        scenario(world, world.actor(NONE))
    try:
        scenario(world, world.actor(probe(permission)))
    except NotPermittedError as refused:
        pytest.fail(f"holding {permission} was not enough: {refused.message}")
    except ActionError:
        pass  # refused for another reason (state, input): the permission check was passed
