"""Account steps the tests share: granting a role the way the server requires (a second
administrator approves unblinded and administering roles), and signing in with the second
factor (the code computed from the secret the server holds, as an authenticator app would).
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from trialkit.web.trial import clock, totp
from trialkit.web.trial.actions.two_factor import stored_totp_secret
from trialkit.web.trial.models import Membership, Profile, RoleRequest

PASSWORD = "correct horse battery staple"
SECOND_ADMIN = "admin-2"


def second_administrator(admin_role: str):
    """Another administrator (made by the server's set-up, which makes the first two), so
    grants that need a second one can be approved."""
    from trialkit.web.trial.actions.accounts import administrators, do_create_user, do_grant_role
    from trialkit.web.trial.actions.base import actor_for

    user = User.objects.filter(username=SECOND_ADMIN).first()
    if user is None:
        assert administrators() < 2, "the tests make the second administrator themselves"
        user = do_create_user(SECOND_ADMIN, PASSWORD, "Bea Admin", actor=None)
        do_grant_role(user, admin_role, None, actor=None)
    return actor_for(user, admin_role)


def grant(user: User, role: str, site: str | None, *, admin) -> Membership:
    """``do_grant_role`` by ``admin``; a request it makes is approved by another
    administrator."""
    from trialkit.web.trial.actions.accounts import do_approve_role_request, do_grant_role

    granted = do_grant_role(user, role, site, actor=admin)
    if isinstance(granted, RoleRequest):
        other = second_administrator(admin.role)
        if other.user.pk in (admin.user.pk, user.pk):
            from trialkit.web.trial.actions.base import actor_for

            other = actor_for(User.objects.get(username="admin"), admin.role)
        return do_approve_role_request(granted, PASSWORD, actor=other)
    return granted


def current_code(user: User) -> str:
    """The code an authenticator app shows now for the user's secret; a later step when this
    one was used already (a code is accepted once), as a person would wait for the next."""
    profile = Profile.objects.get(user=user)
    now = totp.time_step(clock.now())
    if profile.totp_last_step + 1 > now + 1:
        # Signed in more than twice within one 30-second step (a module's tests sharing the
        # demo's people): the next unused code is beyond the drift window, and a person would
        # wait for it. A test cannot wait, so the earlier sign-ins are dated back a minute.
        Profile.objects.filter(pk=profile.pk).update(totp_last_step=now - 2)
        profile.totp_last_step = now - 2
    step = max(now - 1, profile.totp_last_step + 1)
    return totp.hotp(totp.secret_bytes(stored_totp_secret(profile)), step)


def enrol(user: User) -> list[str]:
    """Enrol a second factor for ``user`` as the sign-in would; returns the recovery codes."""
    from trialkit.web.trial.actions.two_factor import do_start_two_factor, do_verify_second_factor

    do_start_two_factor(user)
    return do_verify_second_factor(user, current_code(user))


def sign_in_page(client: Client, username: str, password: str = PASSWORD, **extra):
    """Sign in through the pages, with the second factor (enrolled first when the person has
    none); returns the last response (a redirect after success)."""
    response = client.post("/login/", {"username": username, "password": password}, **extra)
    if response.status_code != 302:
        return response
    location = response["Location"]
    user = User.objects.filter(username=username).first()
    if location.startswith("/login/enrol/"):
        enrol(user)  # as the person would on that page, with their app
        location = "/login/code/"
    if location.startswith("/login/code/"):
        response = client.post(location, {"code": current_code(user)}, **extra)
    return response


def api_sign_in(api, username: str, password: str = PASSWORD, **body):
    """``POST /api/session`` with the second factor when the person needs one."""
    from trialkit.web.trial.actions.two_factor import second_factor_needed

    user = User.objects.get(username=username)
    if second_factor_needed(user) and "code" not in body:
        if not Profile.objects.filter(user=user).exclude(totp_secret="").exists():
            enrolled = api.post("/api/session/two-factor", {"username": username,
                                                             "password": password})
            assert enrolled.status_code == 200, enrolled.body
        body["code"] = current_code(user)
    return api.post("/api/session", {"username": username, "password": password, **body})
