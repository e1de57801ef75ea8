"""Accounts over the API, with each protocol's roles: sessions with a chosen role, tokens,
users and roles, refusals."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.accounts_support import api_sign_in, current_code, enrol, second_administrator
from tests.functional.conftest import PASSWORD
from trialkit.web.trial.actions.accounts import do_issue_api_token
from trialkit.web.trial.models import AuditEvent, Membership

pytestmark = pytest.mark.protocols()


def test_a_token_acts_as_its_user_in_its_role(trial, api, token_for):
    token = token_for(trial.monitor)
    me = api.get("/api/me", token=token)
    assert me.status_code == 200
    assert (me.body["role"], me.body["sites"], me.body["sees"]) == (trial.monitor, [trial.site], list(trial.protocol.role(trial.monitor).sees))
    assert "raise_query" in me.body["can"]


def test_requests_without_credentials_or_with_a_bad_token_are_refused(trial, api):
    assert api.get("/api/me").status_code == 401
    assert api.get("/api/me", token="tk_not-a-token").status_code == 401


def test_a_revoked_role_stops_its_token_at_once(trial, api, admin, token_for):
    token = token_for(trial.investigator)
    membership = Membership.objects.get(user__username=f"{trial.investigator}-{trial.site}")
    admin_token = token_for(trial.administrator)
    revoked = api.post(f"/api/memberships/{membership.id}/revoke", {"reason": "left"},
                       token=admin_token)
    assert revoked.status_code == 200 and revoked.body["active"] is False
    assert api.get("/api/me", token=token).status_code == 401


def test_a_person_signs_in_and_the_single_role_they_hold_is_chosen(trial, api, make_actor):
    name = make_actor(trial.screener).name
    signed_in = api_sign_in(api, name)  # with a second factor where the role needs one
    assert signed_in.status_code == 200 and signed_in.body["role"] == trial.screener
    assert api.get("/api/me").body["role"] == trial.screener
    assert AuditEvent.objects.filter(action="sign_in", actor=name).exists()


def test_a_person_with_two_roles_chooses_one_per_session_or_per_request(trial, api, admin, make_actor):
    from trialkit.web.trial.actions.accounts import do_grant_role

    # Two roles one person may hold together: both blinded (a blinded and an unblinded role
    # would be refused, tests/integration/test_account_safeguards.py).
    other = next(r.id for r in trial.protocol.roles
                 if not r.sees and r.site_scoped and r.id != trial.data_manager)
    monitor = make_actor(other)
    do_grant_role(monitor.user, trial.data_manager, None, actor=admin)
    signed_in = api_sign_in(api, monitor.name)
    assert signed_in.body["role"] is None and len(signed_in.body["roles"]) == 2
    assert api.get("/api/me").status_code == 401
    chosen = api.put("/api/session/role", {"role": trial.data_manager},
                     headers={"X-CSRFToken": signed_in.body["csrf_token"]})
    assert chosen.status_code == 200
    assert api.get("/api/me").body["role"] == trial.data_manager
    as_monitor = api.get("/api/me", headers={"X-Trialkit-Role": other})
    assert as_monitor.body["role"] == other
    not_held = trial.preparer(trial.protocol.design.administrations[0])
    assert api.get("/api/me", headers={"X-Trialkit-Role": not_held}).status_code == 401


def test_unsafe_session_requests_need_the_csrf_token(trial, admin):
    client = Client(enforce_csrf_checks=True)
    enrol(admin.user)  # an administrator signs in with a second factor
    signed_in = client.post("/api/session", {"username": "admin", "password": PASSWORD,
                                             "code": current_code(admin.user)},
                            content_type="application/json")
    assert signed_in.status_code == 200
    body = {"username": "newbie", "password": PASSWORD, "printed_name": "New Bie"}
    refused = client.post("/api/users", body, content_type="application/json")
    assert refused.status_code == 403 and not User.objects.filter(username="newbie").exists()
    created = client.post("/api/users", body, content_type="application/json",
                          headers={"X-CSRFToken": signed_in.json()["csrf_token"]})
    assert created.status_code == 201


def test_a_wrong_password_is_refused_and_signing_out_ends_the_session(trial, api, make_actor):
    name = make_actor(trial.monitor).name
    wrong = api.post("/api/session", {"username": name, "password": "nope nope nope"})
    assert wrong.status_code == 403 and api.get("/api/me").status_code == 401
    assert api_sign_in(api, name).status_code == 200
    assert api.delete("/api/session").status_code == 200
    assert api.get("/api/me").status_code == 401


def test_an_administrator_creates_a_user_grants_a_role_and_the_user_issues_a_token(
        trial, api, token_for):
    admin_token = token_for(trial.administrator)
    created = api.post("/api/users", {"username": "mona", "password": PASSWORD,
                                      "printed_name": "Mona Monitor"}, token=admin_token)
    assert created.status_code == 201
    granted = api.post("/api/users/mona/roles", {"role": trial.monitor, "site": trial.site},
                       token=admin_token)
    if trial.protocol.role(trial.monitor).sees:  # an unblinded monitor: a second admin approves
        assert granted.status_code == 202 and granted.body["status"] == "pending"
        second = second_administrator(trial.administrator)
        other = api.post(f"/api/role-requests/{granted.body['id']}/approve",
                         {"password": PASSWORD}, token=do_issue_api_token(
                             trial.administrator, "approvals", PASSWORD, actor=second))
        assert other.status_code == 200 and other.body["site"] == trial.site
    else:
        assert granted.status_code == 201 and granted.body["site"] == trial.site
    api_sign_in(api, "mona")
    issued = api.post("/api/me/tokens", {"role": trial.monitor, "label": "EDC sync",
                                         "password": PASSWORD},
                      headers={"X-CSRFToken": api.get("/api/session").body["csrf_token"]})
    assert issued.status_code == 201
    assert api.get("/api/me", token=issued.body["token"]).body["username"] == "mona"
    listed = api.get("/api/users", token=admin_token).body
    assert [u["memberships"][0]["role"] for u in listed if u["username"] == "mona"] == [
        trial.monitor]


def test_malformed_input_names_the_field_and_changes_nothing(trial, api, token_for):
    admin_token = token_for(trial.administrator)
    events = AuditEvent.objects.count()
    missing = api.post("/api/users", {"username": "x", "printed_name": "X"}, token=admin_token)
    assert missing.status_code == 422 and missing.body["field"] == "password"
    wrong_type = api.post("/api/users", {"username": 5, "password": PASSWORD,
                                         "printed_name": "X"}, token=admin_token)
    assert wrong_type.status_code == 422 and wrong_type.body["field"] == "username"
    weak = api.post("/api/users", {"username": "x", "password": "short",
                                   "printed_name": "X"}, token=admin_token)
    assert weak.status_code == 422 and weak.body["field"] == "password"
    bad_role = api.post("/api/users/admin/roles", {"role": "wizard"}, token=admin_token)
    assert bad_role.status_code == 422 and bad_role.body["field"] == "role"
    assert AuditEvent.objects.count() == events
    assert not User.objects.filter(username="x").exists()


def test_a_role_without_the_permission_is_refused_with_403(trial, api, token_for):
    monitor = token_for(trial.monitor)
    refused = api.post("/api/users", {"username": "y", "password": PASSWORD,
                                      "printed_name": "Y"}, token=monitor)
    assert refused.status_code == 403 and "manage users" in refused.body["detail"]
    assert api.get("/api/users", token=monitor).status_code == 403
    assert api.post("/api/users/nobody/unlock", token=monitor).status_code == 403


def test_a_nul_character_anywhere_in_the_input_is_refused_naming_the_field(trial, api, token_for):
    admin_token = token_for(trial.administrator)
    events = AuditEvent.objects.count()
    in_body = api.post("/api/users", {"username": "nul\x00l", "password": PASSWORD,
                                      "printed_name": "N"}, token=admin_token)
    in_query = api.get("/api/audit/events?actor=a%00b", token=admin_token)
    in_path = api.post("/api/users/ad%00min/roles", {"role": trial.monitor, "site": trial.site},
                       token=admin_token)
    assert [(r.status_code, r.body["field"]) for r in (in_body, in_query, in_path)] == [
        (422, "username"), (422, "actor"), (422, "username")]
    assert AuditEvent.objects.count() == events
