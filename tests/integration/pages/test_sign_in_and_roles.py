"""Signing in through the page: lockout messages, choosing among several roles, signing out."""

from __future__ import annotations

from django.test import Client

from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import signed_in
from trialkit.web.trial.actions.accounts import do_grant_role
from trialkit.web.trial.models import AuditEvent


def test_a_wrong_password_is_refused_with_a_message_and_audited(make_actor):
    make_actor("coordinator")
    response = Client().post("/login/", {"username": "coordinator-CMUH", "password": "nope"})
    assert response.status_code == 401
    assert "wrong username or password" in response.content.decode()
    assert AuditEvent.objects.filter(action="sign_in_failed").count() == 1


def test_repeated_failures_lock_the_account_even_for_the_right_password(make_actor, settings):
    make_actor("coordinator")
    for _ in range(settings.TRIALKIT_LOCKOUT_FAILURES):
        Client().post("/login/", {"username": "coordinator-CMUH", "password": "nope"})
    response = Client().post("/login/", {"username": "coordinator-CMUH", "password": PASSWORD})
    assert response.status_code == 401 and "locked" in response.content.decode()


def test_a_user_with_several_roles_chooses_one_and_acts_in_it(make_actor, admin):
    actor = make_actor("investigator")
    do_grant_role(actor.user, "monitor", "CMUH", actor=admin)
    client = Client()
    first = client.post("/login/", {"username": actor.name, "password": PASSWORD})
    assert first["Location"].startswith("/role/")
    assert client.get("/").status_code == 302  # no role yet: sent to choose one
    choice = client.get("/role/").content.decode()
    assert "Investigator" in choice and "Monitor" in choice
    assert client.post("/role/", {"role": "sponsor_viewer"}).status_code == 200  # not held
    client.post("/role/", {"role": "monitor"})
    page = client.get("/").content.decode()
    assert "Role: <strong>Monitor</strong>" in page and "switch role" in page


def test_signing_out_ends_the_session(make_actor):
    make_actor("coordinator")
    client = signed_in("coordinator-CMUH", PASSWORD)
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_a_revoked_role_ends_its_pages_at_once(make_actor, admin):
    from trialkit.web.trial.actions.accounts import do_revoke_role
    from trialkit.web.trial.models import Membership

    make_actor("coordinator")
    client = signed_in("coordinator-CMUH", PASSWORD)
    do_revoke_role(Membership.objects.get(role="coordinator"), actor=admin, reason="left")
    assert client.get("/").status_code == 302
