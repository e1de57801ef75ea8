"""The pages' side of issue 10, on every protocol: signing in with a second factor (enrolment,
code, recovery code), the forced password change, and a second administrator's approval."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.accounts_support import PASSWORD, current_code, second_administrator
from tests.integration.pages.support import signed_in
from trialkit.web.trial.actions.accounts import (
    do_create_user,
    do_grant_role,
    do_reset_password,
)
from trialkit.web.trial.actions.two_factor import stored_totp_secret
from trialkit.web.trial.models import ApiToken, AuditEvent, Profile, RoleRequest

pytestmark = pytest.mark.protocols()


def test_a_role_that_signs_enrols_at_its_first_sign_in_and_then_gives_a_code(trial,
                                                                            make_actor):
    name = make_actor(trial.investigator).name
    client = Client()
    first = client.post("/login/", {"username": name, "password": PASSWORD})
    assert first["Location"] == "/login/enrol/"
    assert client.get("/").status_code == 302  # not signed in yet
    page = client.get("/login/enrol/")
    stored = Profile.objects.get(user__username=name).totp_secret
    secret = stored_totp_secret(Profile.objects.get(user__username=name))
    assert secret and secret in page.content.decode()
    assert secret not in stored  # kept sealed: a database read or backup gives no seed
    user = User.objects.get(username=name)
    confirmed = client.post("/login/enrol/", {"code": current_code(user)})
    assert confirmed.status_code == 200 and b"recovery-codes" in confirmed.content
    codes = confirmed.context["codes"]
    assert client.get("/").status_code == 200
    # The next sign-in asks for a code; a recovery code serves once.
    again = Client()
    assert again.post("/login/", {"username": name, "password": PASSWORD})[
        "Location"] == "/login/code/"
    wrong = again.post("/login/code/", {"code": "not a code"})
    assert wrong.status_code == 401
    assert again.post("/login/code/", {"code": codes[0]}).status_code == 302
    assert again.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="use_recovery_code", actor=name).exists()


def test_the_code_page_is_closed_without_a_right_password_first(trial, make_actor):
    make_actor(trial.investigator)
    assert Client().get("/login/code/")["Location"] == "/login/"
    assert Client().post("/login/enrol/", {"code": "123456"})["Location"] == "/login/"


def test_after_a_reset_only_the_password_change_page_opens(trial, make_actor, admin):
    person = make_actor(trial.data_manager)
    temporary = do_reset_password(person.user, actor=admin)
    client = signed_in(person.name, temporary)
    assert client.get("/")["Location"] == "/account/password/"
    changed = client.post("/account/password/", {"password": temporary,
                                                 "new_password": "my very own passphrase"})
    assert changed.status_code == 302
    assert signed_in(person.name, "my very own passphrase").get("/").status_code == 200


def test_a_second_administrator_approves_a_grant_on_the_administrators_page(trial, make_actor,
                                                                            admin):
    unblinded = next(r for r in trial.protocol.roles if r.sees)
    user = do_create_user("newcomer", PASSWORD, "New Comer", actor=admin)
    request = do_grant_role(user, unblinded.id, trial.site if unblinded.site_scoped else None,
                            actor=admin)
    assert isinstance(request, RoleRequest)
    asking = signed_in("admin", PASSWORD)
    page = asking.get("/administration/").content.decode()
    assert "someone else who manages users approves" in page
    second = second_administrator(trial.administrator)
    approving = signed_in(second.name, PASSWORD)
    wrong = approving.post("/administration/accounts/approve/",
                           {"request": request.pk, "password": "not my password"})
    assert wrong.status_code == 302
    request.refresh_from_db()
    assert request.status == "pending"
    approving.post("/administration/accounts/approve/",
                   {"request": request.pk, "password": PASSWORD})
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("approved", second.name)


def test_a_person_issues_and_revokes_their_own_token_on_their_account_page(trial, make_actor):
    person = make_actor(trial.investigator)
    client = signed_in(person.name, PASSWORD)
    assert "Second factor" in client.get("/account/").content.decode()
    issued = client.post("/account/issue-token/", {"label": "lab sync", "password": PASSWORD,
                                                   "role": trial.investigator, "days": "30"})
    assert issued.status_code == 200 and b"new-token" in issued.content
    token = ApiToken.objects.get(label="lab sync")
    assert token.issued_by == person.name
    client.post("/account/revoke-token/", {"token": token.pk})
    token.refresh_from_db()
    assert token.revoked_at is not None
    renewed = client.post("/account/recovery-codes/", {"password": PASSWORD})
    assert len(renewed.context["new_codes"]) == 10


def test_an_administrator_unlocks_resets_and_deactivates_on_the_administrators_page(
        trial, make_actor, admin):
    person = make_actor(trial.data_manager)
    Profile.objects.filter(user=person.user).update(failed_reentries=3)
    client = signed_in("admin", PASSWORD)
    client.post("/administration/accounts/unlock/", {"username": person.name})
    assert Profile.objects.get(user=person.user).failed_reentries == 0
    reset = client.post("/administration/accounts/reset-password/", {"username": person.name})
    assert reset.status_code == 200 and b"temporary-password" in reset.content
    assert Profile.objects.get(user=person.user).must_change_password
    client.post("/administration/accounts/deactivate/", {"username": person.name,
                                                          "reason": "left the trial"})
    assert not User.objects.get(pk=person.user.pk).is_active
    assert [e.action for e in AuditEvent.objects.filter(actor="admin").order_by("sequence")
            if e.action in ("unlock_account", "reset_password", "deactivate_user")] == [
        "unlock_account", "reset_password", "deactivate_user"]


def test_an_administrator_adds_a_person_with_their_role_in_one_step_and_they_choose_a_password(
        trial, admin):
    # Creating a user and granting a role were two forms, and the initial password the
    # administrator typed stayed the person's password.
    client = signed_in("admin", PASSWORD)
    added = client.post("/administration/add/", {
        "username": "new-coordinator", "printed_name": "Nina Coordinator",
        "role": trial.screener, "site": trial.site})
    assert added.status_code == 200
    temporary = added.context["temporary"]
    assert temporary in added.content.decode() and "first sign-in" in added.content.decode()
    user = User.objects.get(username="new-coordinator")
    # An unblinded role (the open-label trial's nurse) waits for a second administrator.
    waiting = RoleRequest.objects.filter(user=user, role=trial.screener).exists()
    if waiting:
        assert "waits for a second person" in added.content.decode()
    else:
        assert [(m.role, m.site.code) for m in user.memberships.all()] == [
            (trial.screener, trial.site)]
    assert Profile.objects.get(user=user).must_change_password
    assert [e.action for e in AuditEvent.objects.filter(actor="admin").order_by("sequence")
            if e.action in ("add_person", "create_user", "grant_role", "request_role")] == [
        "create_user", "request_role" if waiting else "grant_role", "add_person"]
    person = Client()
    assert person.post("/login/", {"username": "new-coordinator", "password": temporary})[
        "Location"] == "/account/password/"
    assert person.get("/").status_code == 302  # nothing else opens before the change
    person.post("/account/password/", {"password": temporary, "new_password": PASSWORD + "x"})
    assert not Profile.objects.get(user=user).must_change_password


def test_adding_a_person_whose_role_is_refused_makes_no_account(trial, admin):
    client = signed_in("admin", PASSWORD)
    scoped = next(r.id for r in trial.protocol.roles if r.site_scoped)
    refused = client.post("/administration/add/", {
        "username": "nobody", "printed_name": "No Body", "role": scoped, "site": "NOWHERE"},
        follow=True)
    assert refused.status_code == 200 and "site" in refused.content.decode().lower()
    assert not User.objects.filter(username="nobody").exists()
    assert not AuditEvent.objects.filter(action="create_user", object_id__contains="nobody"
                                         ).exists()
