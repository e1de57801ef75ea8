"""Printable records: a participant's casebook and randomization confirmation (PDF), and the
audit trail as a spreadsheet file (CSV, its cells made safe to open)."""

from __future__ import annotations

import csv
import io

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy

from trialkit.core.hygiene.cells import spreadsheet_safe
from trialkit.web.boundary.posted import Posted
from trialkit.web.pages.casebook_pdf import casebook_pdf, randomization_confirmation_pdf
from trialkit.web.pages.session import has, page
from trialkit.web.pages.trail_listing import trail_events
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.lookups import participant_for
from trialkit.web.trial.read_audit import audited_export

AUDIT_COLUMNS = ("sequence", "occurred_at_utc", "actor", "role", "action", "action_code",
                 "record", "old", "new", "reason", "protocol_version", "hash")


@page()
def casebook(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    participant = participant_for(actor, pk)
    return _pdf(casebook_pdf(participant, actor), f"casebook-{participant.screening_number}")


@page()
def randomization_confirmation(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    participant = participant_for(actor, pk)
    return _pdf(randomization_confirmation_pdf(participant, actor),
                f"randomization-{participant.screening_number}")


@page(has("view_audit"), why=gettext_lazy("Only roles allowed to view the audit trail export it."))
def audit_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The events the audit page's filters select, all of them, masked for the reader."""
    query = Posted(request.GET)
    filters = {key: query.text(key, required=False) for key in ("actor", "action",
                                                               "object_type")}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_COLUMNS)
    rows = 0
    with translation.override("en"):  # the file is a record: English, as its column names
        for event in trail_events(actor, filters):
            writer.writerow([spreadsheet_safe(value) for value in (
                event.sequence, event.occurred_at.isoformat(), event.actor,
                event.role_name, event.action_shown, event.action, event.object_shown + " "
                + event.object_id, _pairs(event.old_shown), _pairs(event.new_shown),
                event.reason, event.protocol_version, event.hash)])
            rows += 1
    audited_export(actor, "audit trail", rows=rows, file_format="csv",
                   **{k: v for k, v in filters.items() if v})
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response


def _pairs(pairs: list[tuple[str, str]]) -> str:
    return "; ".join(f"{field}: {value}" if field else value for field, value in pairs)


def _pdf(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response
