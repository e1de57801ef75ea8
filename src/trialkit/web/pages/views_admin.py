"""The audit trail with chain verification, and administration of users, sites and roles."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from trialkit.web.api.redaction import redactor_for
from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.session import done, has, page, refused, render_page
from trialkit.web.pages.views_account_admin import account_context
from trialkit.web.trial.actions.accounts import do_create_user, do_grant_role, do_revoke_role
from trialkit.web.trial.actions.base import ActionError, Actor, InvalidInputError, NotFoundError
from trialkit.web.trial.audit import is_append_only_enforced, verify_chain
from trialkit.web.trial.models import AuditEvent, Membership, Site

AUDIT_PAGE = 100


@page(has("view_audit"), why="Only roles allowed to view the audit trail open it.")
def audit(request: HttpRequest, actor: Actor) -> HttpResponse:
    events = AuditEvent.objects.order_by("-sequence")
    query = Posted(request.GET)
    filters: dict[str, str] = {}
    refused_filter = False
    try:
        filters = {key: query.text(key, required=False)
                   for key in ("actor", "action", "object_type")}
    except InvalidInputError as exc:
        messages.error(request, f"{exc.field.replace('_', ' ')}: {exc.message}")
        refused_filter = True
    for key, value in filters.items():
        if value:
            events = events.filter(**{key: value})
    listing = Paginator(events, AUDIT_PAGE).get_page(query.raw("page"))
    return render_page(request, actor, "pages/audit.html", {
        "title": "Audit trail", "page_obj": _masked(listing, actor), "filters": filters,
        "verified": None}, status=422 if refused_filter else 200)


@require_POST
@page(has("view_audit"))
def audit_verify(request: HttpRequest, actor: Actor) -> HttpResponse:
    problems = verify_chain()
    listing = Paginator(AuditEvent.objects.order_by("-sequence"), AUDIT_PAGE).get_page(1)
    return render_page(request, actor, "pages/audit.html", {
        "title": "Audit trail", "page_obj": _masked(listing, actor), "filters": {},
        "verified": {"problems": problems, "count": AuditEvent.objects.count(),
                     "enforced": is_append_only_enforced()}})


def _masked(listing: Page, actor: Actor) -> Page:
    """Blinded facts in old/new, and reasons that may hint at an arm, masked for this reader by
    the function ``/api/audit/events`` uses (the page's copies only: stored events are never
    changed)."""
    redactor = redactor_for(actor)
    for event in listing:
        shown = redactor.event(event)
        event.old, event.new, event.reason = shown.old, shown.new, shown.reason
    return listing


@page(has("manage_users"), why="Only an administrator manages users, sites and roles.")
def admin_users(request: HttpRequest, actor: Actor) -> HttpResponse:
    protocol = actor.protocol()
    users = User.objects.select_related("profile").prefetch_related(
        "memberships__site").order_by("username")
    return render_page(request, actor, "pages/admin_users.html", {
        "title": "Users, sites and roles", "users": users, "roles": protocol.roles,
        "sites": Site.objects.order_by("code"), **account_context(actor)})


@require_POST
@page(has("manage_users"))
def admin_action(request: HttpRequest, actor: Actor, step: str) -> HttpResponse:
    back = reverse("pages:admin_users")
    post = Posted(request.POST)
    try:
        if step == "create":
            user = do_create_user(post.text("username"),
                                  post.text("password", as_field="new_password"),
                                  post.text("printed_name"), actor=actor)
            message = f"User {user.username} created."
        elif step == "grant":
            user = User.objects.filter(username=post.text("username")).first()
            if user is None:
                raise InvalidInputError("no such user", field="username")
            granted = do_grant_role(user, post.text("role"), post.optional("site"), actor=actor)
            message = (f"Role granted to {user.username}." if isinstance(granted, Membership)
                       else f"The grant to {user.username} waits for another administrator's "
                            "approval.")
        elif step == "revoke":
            membership = Membership.objects.filter(pk=post.integer("membership")).first()
            if membership is None:
                raise NotFoundError("no such role membership", field="membership")
            do_revoke_role(membership, actor=actor, reason=post.text("reason"))
            message = "Role revoked."
        else:
            raise InvalidInputError(f"unknown step '{step}'", field="step")
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, message, back)
