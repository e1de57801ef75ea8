"""Issue 10 over the API, on every protocol: tokens name themselves in the audit trail, the
second factor at the API's sign-in, per-address throttling, session lifetime, deactivation,
owners' tokens and administrators' resets."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.accounts_support import PASSWORD, api_sign_in
from trialkit.web.trial import clock, totp
from trialkit.web.trial.actions.accounts import do_issue_api_token
from trialkit.web.trial.actions.two_factor import stored_totp_secret
from trialkit.web.trial.audit import verify_chain
from trialkit.web.trial.models import ApiToken, AuditEvent, Profile

pytestmark = pytest.mark.protocols()


def _csrf(api) -> dict[str, str]:
    return {"X-CSRFToken": api.get("/api/session").body["csrf_token"]}


def test_every_event_written_with_a_token_names_the_token_and_its_issuer(
        trial, api, make_actor):
    dm = make_actor(trial.data_manager)
    token = do_issue_api_token(trial.data_manager, "EDC sync", PASSWORD, actor=dm)
    row = ApiToken.objects.get(label="EDC sync")
    assert api.get("/api/me", token=token).body["via_token"] == row.id
    refused = api.post("/api/users", {"username": "x", "password": PASSWORD,
                                      "printed_name": "X"}, token=token)
    assert refused.status_code == 403
    event = AuditEvent.objects.filter(action="action_refused").last()
    assert (event.actor, event.via_token) == (
        dm.name, {"id": row.id, "label": "EDC sync", "issued_by": dm.name})
    assert verify_chain() == []  # the token is inside the event's link
    from tests.integration.pages.support import signed_in, text_of

    auditor = next(r.id for r in trial.protocol.roles if "view_audit" in r.can
                   and not r.site_scoped)
    reader = dm if auditor == dm.role else make_actor(auditor)
    page = text_of(signed_in(reader.name, PASSWORD).get(
        "/audit/?action=action_refused").content)
    assert f"with api token “edc sync” (no. {row.id}, issued by {dm.name.lower()})" in page


def test_no_endpoint_issues_a_token_for_someone_else(openapi_document):
    paths = openapi_document["paths"]
    assert "/api/users/{username}/tokens" not in paths or "post" not in paths[
        "/api/users/{username}/tokens"]
    assert "post" in paths["/api/me/tokens"]


def test_a_role_that_signs_needs_a_code_at_the_api_sign_in(trial, api, make_actor):
    name = make_actor(trial.investigator).name
    without = api.post("/api/session", {"username": name, "password": PASSWORD})
    assert without.status_code == 403 and without.body["field"] == "code"
    assert "two-factor" in without.body["detail"]
    enrolment = api.post("/api/session/two-factor", {"username": name, "password": PASSWORD})
    assert enrolment.status_code == 200
    assert enrolment.body["otpauth_uri"].startswith("otpauth://totp/")
    signed_in = api_sign_in(api, name)
    assert signed_in.status_code == 200 and len(signed_in.body["recovery_codes"]) == 10
    again = api.post("/api/session/two-factor", {"username": name, "password": PASSWORD})
    assert again.status_code == 409 and again.body["field"] == "code"
    profile = Profile.objects.get(user__username=name)
    far = totp.hotp(totp.secret_bytes(stored_totp_secret(profile)), totp.time_step(clock.now()) + 5)
    wrong = api.post("/api/session", {"username": name, "password": PASSWORD, "code": far})
    assert wrong.status_code == 403 and wrong.body["field"] == "code"


def test_an_address_with_many_failures_gets_429_and_the_person_elsewhere_does_not(
        trial, api, make_actor, settings):
    settings.TRIALKIT_SOURCE_FAILURES = 2
    name = make_actor(trial.data_manager).name
    api.client.defaults["REMOTE_ADDR"] = "203.0.113.5"
    for _ in range(2):
        api.post("/api/session", {"username": "nobody", "password": "guess guess guess"})
    throttled = api.post("/api/session", {"username": name, "password": PASSWORD})
    assert throttled.status_code == 429
    api.client.defaults["REMOTE_ADDR"] = "198.51.100.20"
    assert api.post("/api/session", {"username": name, "password": PASSWORD}).status_code == 200


def test_a_session_ends_after_its_absolute_lifetime_however_active(trial, api, make_actor,
                                                                  settings):
    name = make_actor(trial.data_manager).name
    assert api_sign_in(api, name).status_code == 200
    later = clock.now() + dt.timedelta(seconds=settings.TRIALKIT_SESSION_MAX_SECONDS + 1)
    with clock.using(clock.FixedClock(later)):
        assert api.get("/api/me").status_code == 401
    assert api.get("/api/me").status_code == 401  # ended, not only refused


def test_deactivation_stops_the_session_and_the_tokens_at_once(trial, api, make_actor,
                                                               token_for):
    person = make_actor(trial.data_manager)
    token = do_issue_api_token(trial.data_manager, "sync", PASSWORD, actor=person)
    assert api_sign_in(api, person.name).status_code == 200
    admin = token_for(trial.administrator)
    done = api.post(f"/api/users/{person.name}/deactivate", {"reason": "left"}, token=admin)
    assert done.status_code == 200 and done.body["active"] is False
    assert api.get("/api/me").status_code == 401
    assert api.get("/api/me", token=token).status_code == 401
    assert AuditEvent.objects.filter(action="deactivate_user").get().reason == "left"


def test_owners_list_and_revoke_their_tokens_and_administrators_revoke_any(
        trial, api, make_actor, token_for):
    person = make_actor(trial.data_manager)
    mine = do_issue_api_token(trial.data_manager, "one", PASSWORD, actor=person)
    other = do_issue_api_token(trial.data_manager, "two", PASSWORD, actor=person)
    listed = api.get("/api/me/tokens", token=mine).body
    assert [t["label"] for t in listed] == ["one", "two"]
    assert all(t["expires_at"] for t in listed)
    one, two = (t["id"] for t in listed)
    assert api.delete(f"/api/me/tokens/{one}", token=other).status_code == 200
    assert api.get("/api/me", token=mine).status_code == 401
    stranger = token_for(trial.monitor)
    assert api.post(f"/api/tokens/{two}/revoke", token=stranger).status_code == 404
    admin = token_for(trial.administrator)
    assert api.post(f"/api/tokens/{two}/revoke", token=admin).status_code == 200
    assert api.get("/api/me", token=other).status_code == 401


def test_a_reset_password_must_be_changed_before_anything_else(trial, api, make_actor,
                                                              token_for):
    person = make_actor(trial.data_manager)
    admin = token_for(trial.administrator)
    reset = api.post(f"/api/users/{person.name}/password-reset", token=admin)
    temporary = reset.body["temporary_password"]
    signed_in = api.post("/api/session", {"username": person.name, "password": temporary})
    assert signed_in.status_code == 200 and signed_in.body["must_change_password"] is True
    assert api.get("/api/me").status_code == 401
    changed = api.put("/api/me/password", {"password": temporary,
                                           "new_password": "a new passphrase of mine"},
                      headers=_csrf(api))
    assert changed.status_code == 200
    assert api.post("/api/session", {"username": person.name,
                                     "password": "a new passphrase of mine"}).status_code == 200
    assert api.get("/api/me").status_code == 200


def test_an_administrator_unlocks_a_locked_account(trial, api, make_actor, token_for,
                                                  settings):
    person = make_actor(trial.data_manager)
    token = do_issue_api_token(trial.data_manager, "sync", PASSWORD, actor=person)
    from trialkit.web.trial.actions.accounts import do_change_password

    for _ in range(settings.TRIALKIT_LOCKOUT_FAILURES):
        with pytest.raises(Exception, match="password"):
            do_change_password("wrong wrong wrong", "whatever new phrase", actor=person)
    assert api.get("/api/me", token=token).status_code == 401
    admin = token_for(trial.administrator)
    users = {u["username"]: u for u in api.get("/api/users", token=admin).body}
    assert users[person.name]["locked"] is True
    assert api.post(f"/api/users/{person.name}/unlock", token=admin).status_code == 200
    assert api.get("/api/me", token=token).status_code == 200
