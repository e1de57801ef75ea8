"""The study lock, in two people's steps: a request, then a different person's confirmation
with the trial's id typed out; both re-enter their password (actions/locks.py says why)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.session import done, has, page, refused, render_page
from trialkit.web.trial.actions.base import ActionError, Actor, InvalidInputError
from trialkit.web.trial.actions.locks import (
    do_lock_study,
    do_request_study_lock,
    do_withdraw_study_lock_request,
    pending_study_lock_request,
    study_lock_blockers,
)
from trialkit.web.trial.study import current_study


@page(has("lock_data"), why=gettext_lazy("Only roles that lock data open the study lock."))
def study_lock(request: HttpRequest, actor: Actor) -> HttpResponse:
    from django.utils.translation import gettext as _

    study = current_study()
    pending = pending_study_lock_request(study) if study.locked_at is None else None
    return render_page(request, actor, "pages/study_lock.html", {
        "title": _("Study lock"), "locked_at": study.locked_at,
        "blockers": [] if study.locked_at else study_lock_blockers(study, actor.protocol()),
        "pending": pending, "trial_id": actor.protocol().identity.id,
        "mine": pending is not None and pending.requested_by_id == actor.user.pk,
        "waiting": [r.name for r in actor.protocol().roles if r.blinded_until_lock]})


@require_POST
@page(has("lock_data"))
def study_lock_action(request: HttpRequest, actor: Actor, step: str) -> HttpResponse:
    from django.utils.translation import gettext as _

    back = reverse("pages:study_lock")
    posted = Posted(request.POST)
    try:
        if step == "request":
            do_request_study_lock(posted.text("reason"), posted.text("password"), actor=actor)
            message = _("Study lock requested; a second person confirms it.")
        elif step == "confirm":
            # The typed trial id: one line of text, compared with the protocol's id.
            do_lock_study(posted.text("confirmation", as_field="query_value"),
                          posted.text("password"), actor=actor)
            message = _("The study database is locked.")
        elif step == "withdraw":
            do_withdraw_study_lock_request(posted.text("reason"), actor=actor)
            message = _("The study lock request is withdrawn.")
        else:
            raise InvalidInputError(gettext_lazy("unknown step '%(step)s'"), field="step",
                                    step=step)
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, message, back)
