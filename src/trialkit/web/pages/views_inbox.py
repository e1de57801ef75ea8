"""The notification inbox: what the protocol says the role is told of (serious adverse events,
emergency unblindings, committee decisions), at the person's sites, newest first."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy

from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.navigation import is_notified
from trialkit.web.pages.session import page, render_page
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.notifications import notifications_for

PER_PAGE = 50


@page(is_notified, why=gettext_lazy("The protocol tells this role of no event: it has no inbox."))
def notifications(request: HttpRequest, actor: Actor) -> HttpResponse:
    from django.utils.translation import gettext as _

    listing = Paginator(notifications_for(actor), PER_PAGE).get_page(
        Posted(request.GET).raw("page"))
    return render_page(request, actor, "pages/notifications.html", {
        "title": _("Notifications"), "page_obj": listing})
