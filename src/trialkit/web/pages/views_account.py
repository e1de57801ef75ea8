"""A person's own account: the second factor's recovery codes and their API tokens."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.account_readers import own_account, own_token
from trialkit.web.pages.session import page, refused, render_page, roles_held
from trialkit.web.trial.actions.accounts import do_issue_api_token, do_revoke_api_token
from trialkit.web.trial.actions.base import ActionError, Actor, InvalidInputError
from trialkit.web.trial.actions.two_factor import (
    do_renew_recovery_codes,
    enrolled,
    second_factor_needed,
)


@page()
def account(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _render(request, actor)


def _render(request: HttpRequest, actor: Actor, **shown: object) -> HttpResponse:
    mine = own_account(actor.user)
    return render_page(request, actor, "pages/account.html", {
        "title": _("Your account"), "two_factor": enrolled(actor.user),
        "needs_two_factor": second_factor_needed(actor.user),
        "recovery_left": mine.recovery_left, "tokens": mine.tokens,
        "roles": roles_held(request), "token_days": settings.TRIALKIT_TOKEN_DAYS, **shown})


@require_POST
@page()
def account_action(request: HttpRequest, actor: Actor, step: str) -> HttpResponse:
    posted = Posted(request.POST)
    back = request.path.rsplit("/", 2)[0] + "/"
    try:
        if step == "issue-token":
            days = posted.raw("days").strip()
            if days and not days.isdigit():
                raise InvalidInputError(_("a whole number of days"), field="days")
            token = do_issue_api_token(posted.raw("role"), posted.raw("label"),
                                       posted.raw("password"), actor=actor,
                                       days=int(days) if days else None)
            return _render(request, actor, new_token=token)
        if step == "revoke-token":
            do_revoke_api_token(own_token(actor.user, posted.raw("token")), actor=actor)
            return _render(request, actor)
        if step == "recovery-codes":
            codes = do_renew_recovery_codes(posted.raw("password"), actor=actor)
            return _render(request, actor, new_codes=codes)
        raise InvalidInputError(_("unknown step '%(step)s'") % {"step": step}, field="step")
    except ActionError as exc:
        return refused(request, exc, back)
