"""Signing in through the page, with each protocol's roles: lockout messages, choosing among
several roles, signing out."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.accounts_support import grant, sign_in_page
from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import signed_in
from trialkit.web.trial.models import AuditEvent

pytestmark = pytest.mark.protocols()


def test_a_wrong_password_is_refused_with_a_message_and_audited(trial, make_actor):
    name = make_actor(trial.screener).name
    response = Client().post("/login/", {"username": name, "password": "nope"})
    assert response.status_code == 401
    assert "wrong username or password" in response.content.decode()
    assert AuditEvent.objects.filter(action="sign_in_failed").count() == 1


def test_repeated_failures_pause_new_browsers_but_not_the_persons_own(trial, make_actor,
                                                                      settings):
    name = make_actor(trial.data_manager).name
    own = signed_in(name, PASSWORD)  # this browser signed in before: it is remembered
    own.post("/logout/")
    for _ in range(settings.TRIALKIT_LOCKOUT_FAILURES):
        Client().post("/login/", {"username": name, "password": "nope"})
    response = Client().post("/login/", {"username": name, "password": PASSWORD})
    assert response.status_code == 401 and "pauses" in response.content.decode()
    assert sign_in_page(own, name, PASSWORD).status_code == 302
    assert own.get("/").status_code == 200


def test_a_user_with_several_roles_chooses_one_and_acts_in_it(trial, make_actor, admin):
    actor = make_actor(trial.investigator)
    grant(actor.user, trial.monitor, trial.site, admin=admin)  # approved where it must be
    client = Client()
    first = sign_in_page(client, actor.name, PASSWORD)  # with the second factor
    assert first["Location"].startswith("/role/")
    assert client.get("/").status_code == 302  # no role yet: sent to choose one
    choice = client.get("/role/").content.decode()
    investigator, monitor = (trial.protocol.role(r) for r in (trial.investigator, trial.monitor))
    assert investigator.name in choice and monitor.name in choice
    assert client.post("/role/", {"role": trial.data_manager}).status_code == 200  # not held
    client.post("/role/", {"role": monitor.id})
    page = client.get("/").content.decode()
    assert f"Role: <strong>{monitor.name}</strong>" in page and "switch role" in page


def test_signing_out_ends_the_session(trial, make_actor):
    client = signed_in(make_actor(trial.screener).name, PASSWORD)
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_a_revoked_role_ends_its_pages_at_once(trial, make_actor, admin):
    from trialkit.web.trial.actions.accounts import do_revoke_role
    from trialkit.web.trial.models import Membership

    client = signed_in(make_actor(trial.screener).name, PASSWORD)
    do_revoke_role(Membership.objects.get(role=trial.screener), actor=admin, reason="left")
    assert client.get("/").status_code == 302
