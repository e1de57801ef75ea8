"""The audit trail with chain verification, and administration of users, sites and roles."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.account_readers import (
    all_sites,
    membership,
    user_named,
    users_with_roles,
)
from trialkit.web.pages.audit_words import action_choices
from trialkit.web.pages.session import done, has, page, refused, render_page
from trialkit.web.pages.trail_listing import event_count, trail_page
from trialkit.web.pages.views_account_admin import account_context
from trialkit.web.pages.vocabulary import field_in_words
from trialkit.web.trial.actions.accounts import do_add_person, do_grant_role, do_revoke_role
from trialkit.web.trial.actions.base import ActionError, Actor, InvalidInputError
from trialkit.web.trial.audit import is_append_only_enforced, verify_chain
from trialkit.web.trial.models import Membership


@page(has("view_audit"),
      why=gettext_lazy("Only roles allowed to view the audit trail open it."))
def audit(request: HttpRequest, actor: Actor) -> HttpResponse:
    query = Posted(request.GET)
    filters: dict[str, str] = {}
    refused_filter = False
    try:
        filters = {key: query.text(key, required=False)
                   for key in ("actor", "action", "object_type")}
    except InvalidInputError as exc:
        messages.error(request, f"{field_in_words(exc.field)}: {exc.message}")
        refused_filter = True
    return render_page(request, actor, "pages/audit.html", {
        "title": _("Audit trail"), "page_obj": trail_page(actor, filters, query.raw("page")),
        "filters": filters, "action_choices": action_choices(),
        "verified": None}, status=422 if refused_filter else 200)


@require_POST
@page(has("view_audit"))
def audit_verify(request: HttpRequest, actor: Actor) -> HttpResponse:
    problems = verify_chain()
    return render_page(request, actor, "pages/audit.html", {
        "title": _("Audit trail"), "page_obj": trail_page(actor, {}, "1"), "filters": {},
        "action_choices": action_choices(),
        "verified": {"problems": problems, "count": event_count(),
                     "enforced": is_append_only_enforced()}})


@page(has("manage_users"),
      why=gettext_lazy("Only an administrator manages users, sites and roles."))
def admin_users(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render_page(request, actor, "pages/admin_users.html", {
        "title": _("Users, sites and roles"), "users": users_with_roles(),
        "roles": actor.protocol().roles, "sites": all_sites(), **account_context(actor)})


@require_POST
@page(has("manage_users"))
def admin_action(request: HttpRequest, actor: Actor, step: str) -> HttpResponse:
    back = reverse("pages:admin_users")
    post = Posted(request.POST)
    try:
        if step == "add":
            person = do_add_person(post.text("username"), post.text("printed_name"),
                                   post.text("role"), post.optional("site"), actor=actor)
            return render_page(request, actor, "pages/temporary_password.html", {
                "title": _("Temporary password"), "username": person.user.username,
                "temporary": person.temporary_password, "new": True,
                "waiting": not isinstance(person.granted, Membership)})
        elif step == "grant":
            user = user_named(post.text("username"), refusal=InvalidInputError)
            granted = do_grant_role(user, post.text("role"), post.optional("site"), actor=actor)
            message = (_("Role granted to %(person)s.") if isinstance(granted, Membership)
                       else _("The grant to %(person)s waits for another administrator's "
                              "approval.")) % {"person": user.username}
        elif step == "revoke":
            do_revoke_role(membership(post.integer("membership")), actor=actor,
                           reason=post.text("reason"))
            message = _("Role revoked.")
        else:
            raise InvalidInputError(_("unknown step '%(step)s'") % {"step": step}, field="step")
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, message, back)
