"""The form entry page's live panel (a fragment its script fetches as people type): computed
values, edit checks that would open a query, and the conditional items not asked."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from trialkit.web.pages.form_fields import submitted
from trialkit.web.pages.form_live import live_checks
from trialkit.web.pages.session import page
from trialkit.web.pages.views_forms import entry_of
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import Actor, NotPermittedError
from trialkit.web.trial.actions.forms import may_enter, why_not_enter


@page()
def form_live(request: HttpRequest, actor: Actor, pk: int, visit_id: str,
              form_id: str) -> HttpResponse:
    _participant, form = entry_of(actor, pk, form_id)
    protocol = actor.protocol()
    if not may_enter(actor, form):
        raise NotPermittedError(why_not_enter(actor, form) or _("your role does not enter "
                                                                 "this form"), field="form_id")
    entries, refused = submitted(form, request.GET)
    live = live_checks(protocol, form, {k: v for k, v in entries.items() if k not in refused},
                       timezone.localtime(clock.now()))
    return render(request, "pages/_form_live.html", {"live": live})
