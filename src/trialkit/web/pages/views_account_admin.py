"""Administering accounts on the administrators' page: approving or refusing waiting grants
(a second administrator, with their password), deactivating, unlocking, resetting a password
or a second factor, revoking a token."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.account_readers import (
    accounts_overview,
    any_token,
    role_request,
    user_named,
)
from trialkit.web.pages.session import done, has, page, refused, render_page
from trialkit.web.trial.actions.accounts import (
    do_approve_role_request,
    do_deactivate_user,
    do_refuse_role_request,
    do_reset_password,
    do_revoke_api_token,
    do_unlock_account,
)
from trialkit.web.trial.actions.base import ActionError, Actor, InvalidInputError
from trialkit.web.trial.actions.two_factor import do_reset_two_factor
from trialkit.web.trial.models import RoleRequest


def account_context(actor: Actor) -> dict[str, object]:
    """What the administrators' page shows about accounts besides users and roles."""
    overview = accounts_overview()
    return {"pending": overview.pending, "conflicts": overview.conflicts,
            "tokens": overview.tokens, "me": actor.name}


def _user(post: Posted) -> User:
    return user_named(post.text("username"))


def _request(post: Posted) -> RoleRequest:
    return role_request(post.integer("request"))


@require_POST
@page(has("manage_users"))
def account_admin_action(request: HttpRequest, actor: Actor, step: str) -> HttpResponse:
    back = reverse("pages:admin_users")
    post = Posted(request.POST)
    try:
        if step == "reset-password":
            user = _user(post)
            temporary = do_reset_password(user, actor=actor)
            return render_page(request, actor, "pages/temporary_password.html", {
                "title": _("Temporary password"), "username": user.username,
                "temporary": temporary})
        message = _act(step, post, actor)
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, message, back)


def _act(step: str, post: Posted, actor: Actor) -> str:
    if step == "approve":
        grant = _request(post)
        do_approve_role_request(grant, post.raw("password"), actor=actor)
        return _("%(role)s granted to %(person)s.") % {"role": grant.role,
                                                     "person": grant.user.username}
    if step == "refuse":
        do_refuse_role_request(_request(post), post.text("reason"), actor=actor)
        return _("Request refused.")
    if step == "deactivate":
        user = _user(post)
        do_deactivate_user(user, post.text("reason"), actor=actor)
        return _("%(person)s deactivated: their sessions and tokens no longer work.") % {
            "person": user.username}
    if step == "unlock":
        user = _user(post)
        do_unlock_account(user, actor=actor)
        return _("%(person)s unlocked.") % {"person": user.username}
    if step == "reset-two-factor":
        user = _user(post)
        do_reset_two_factor(user, post.text("reason"), actor=actor)
        return _("%(person)s sets up a new second factor at the next sign-in.") % {
            "person": user.username}
    if step == "revoke-token":
        token = any_token(post.integer("token"))
        do_revoke_api_token(token, actor=actor)
        return _("Token '%(label)s' of %(person)s revoked.") % {"label": token.label,
                                                              "person": token.user.username}
    raise InvalidInputError(_("unknown step '%(step)s'") % {"step": step}, field="step")
