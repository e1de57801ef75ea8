"""The signature worklist: every saved form awaiting a signature at the signer's sites, by
participant and visit, each group signed in one act (one password re-entry)."""

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
from trialkit.web.trial.actions.base import ActionError, Actor
from trialkit.web.trial.actions.signing import do_sign_casebook
from trialkit.web.trial.lookups import participant_for
from trialkit.web.trial.models import FormRecord
from trialkit.web.trial.signatures import worklist

NO_VISIT = "-"
"""The address's stand-in for forms outside visits (logs such as adverse events)."""
MEANING = "I reviewed these data and confirm they are accurate and complete"


@dataclass
class VisitGroup:
    visit_id: str
    records: list[FormRecord]

    @property
    def slug(self) -> str:
        return self.visit_id or NO_VISIT


@dataclass
class ParticipantGroup:
    participant_id: int
    screening_number: str
    visits: list[VisitGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(v.records) for v in self.visits)


def _grouped(records: list[FormRecord]) -> list[ParticipantGroup]:
    groups = []
    for (pk, number), rows in groupby(records, key=lambda r: (r.participant_id,
                                                              r.participant.screening_number)):
        group = ParticipantGroup(pk, number)
        for visit_id, in_visit in groupby(rows, key=lambda r: r.visit_id):
            group.visits.append(VisitGroup(visit_id, list(in_visit)))
        groups.append(group)
    return groups


@page(has("sign"), why=gettext_lazy("Only roles that e-sign forms have a signature worklist."))
def signatures(request: HttpRequest, actor: Actor) -> HttpResponse:
    from django.utils.translation import gettext as _

    records = list(worklist(actor))
    protocol = actor.protocol()
    return render_page(request, actor, "pages/signatures.html", {
        "title": _("Forms to sign"), "groups": _grouped(records), "total": len(records),
        "form_names": {f.id: f.name for f in protocol.forms}, "meaning": MEANING,
        "repeating": {f.id for f in protocol.forms if f.repeating}})


@require_POST
@page(has("sign"))
def sign_group(request: HttpRequest, actor: Actor, pk: int, visit_id: str) -> HttpResponse:
    """Sign one visit's forms (``visit_id``), or the whole casebook (``visit_id`` = ``all``)."""
    from django.utils.translation import gettext as _

    participant = participant_for(actor, pk)
    show_times_of(participant)
    back = reverse("pages:signatures")
    posted = Posted(request.POST)
    visit = None if visit_id == "all" else ("" if visit_id == NO_VISIT else visit_id)
    try:
        signed = do_sign_casebook(participant, visit, posted.raw("password"),
                                  posted.text("meaning"), actor=actor)
    except ActionError as exc:
        return refused(request, exc, back)
    return done(request, _("%(forms)s form(s) of %(participant)s signed.") % {
        "forms": len(signed), "participant": participant.screening_number}, back)
