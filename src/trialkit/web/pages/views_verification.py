"""Source data verification: the monitor's worklist (every saved form at their sites that
awaits verification, by participant and visit, with counts), a visit verified in one act, and
the verify controls of a form's history page (an item, the whole form, a discrepancy)."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.local_time import show_times_of
from trialkit.web.pages.session import done, has, page, refused, render_page
from trialkit.web.trial.actions.base import ActionError, Actor, InvalidInputError
from trialkit.web.trial.actions.source_verification import (
    do_record_source_discrepancy,
    do_verify_source,
    do_verify_source_visit,
)
from trialkit.web.trial.lookups import form_record_for, participant_for
from trialkit.web.trial.source_verification import (
    FormVerificationView,
    verification_worklist,
)

NO_VISIT = "-"
"""The address's stand-in for forms outside visits (logs such as adverse events)."""


@dataclass
class VisitGroup:
    visit_id: str
    forms: list[FormVerificationView]

    @property
    def slug(self) -> str:
        return self.visit_id or NO_VISIT

    @property
    def awaiting(self) -> int:
        """Items of these forms a verification of the visit would cover."""
        return sum(f.awaiting for f in self.forms)


@dataclass
class ParticipantGroup:
    participant_id: int
    screening_number: str
    site: str
    visits: list[VisitGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(v.forms) for v in self.visits)


def _grouped(forms: list[FormVerificationView]) -> list[ParticipantGroup]:
    groups = []
    for (pk, number, site), rows in groupby(
            forms, key=lambda f: (f.participant_id, f.screening_number, f.site)):
        group = ParticipantGroup(pk, number, site)
        for visit_id, in_visit in groupby(rows, key=lambda f: f.visit_id):
            group.visits.append(VisitGroup(visit_id, list(in_visit)))
        groups.append(group)
    return groups


@page(has("verify_source"),
      why=gettext_lazy("Only roles that verify source data have this worklist."))
def verification(request: HttpRequest, actor: Actor) -> HttpResponse:
    from django.utils.translation import gettext as _

    forms = verification_worklist(actor)
    return render_page(request, actor, "pages/verification.html", {
        "title": _("Source data verification"), "groups": _grouped(forms), "total": len(forms),
        "changed": sum(f.status == "changed" for f in forms),
        "discrepancies": sum(f.discrepancies > 0 for f in forms),
        "repeating": {f.id for f in actor.protocol().forms if f.repeating}})


@require_POST
@page(has("verify_source"))
def verify_visit(request: HttpRequest, actor: Actor, pk: int, visit_id: str) -> HttpResponse:
    """Verify every form of one visit awaiting it (``visit_id`` ``-``: the forms outside
    visits)."""
    from django.utils.translation import gettext as _

    participant = participant_for(actor, pk)
    show_times_of(participant)
    back = reverse("pages:verification")
    try:
        rows = do_verify_source_visit(participant, "" if visit_id == NO_VISIT else visit_id,
                                      actor=actor)
    except ActionError as exc:
        return refused(request, exc, back)
    forms = len({r.record_id for r in rows})
    return done(request, _("%(items)s item(s) of %(forms)s form(s) of %(participant)s "
                           "verified.") % {"items": len(rows), "forms": forms,
                                           "participant": participant.screening_number}, back)


VERIFY_STEPS = ("form", "item", "discrepancy")


@require_POST
@page(has("verify_source"))
def verify_form(request: HttpRequest, actor: Actor, record_id: int, step: str) -> HttpResponse:
    """Verify the whole form (``form``), one item (``item``), or record a discrepancy."""
    from django.utils.translation import gettext as _

    record = form_record_for(actor, record_id)
    show_times_of(record.participant)
    back = reverse("pages:form_history", args=[record_id]) + "#verification"
    posted = Posted(request.POST)
    try:
        if step not in VERIFY_STEPS:
            raise InvalidInputError(gettext_lazy("unknown step '%(step)s'"), field="step",
                                    step=step)
        if step == "form":
            rows = do_verify_source(record, actor=actor)
            return done(request, _("%(items)s item(s) verified.") % {"items": len(rows)}, back)
        item_id = posted.text("item_id")
        if step == "item":
            do_verify_source(record, item_id, actor=actor)
            return done(request, _("Item verified."), back)
        row = do_record_source_discrepancy(record, item_id,
                                           posted.text("note"), actor=actor)
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, _("Discrepancy recorded and a query raised on it.") if row.query_id
                else _("Discrepancy recorded."), back)
