"""Exports for data review and analysis: the participant listing and form data, JSON or CSV.

Blinded-safe by construction: no column comes from the allocation tables, so a blinded role
gets nothing an allocation could be inferred from. Exports are for roles that export data
(data managers, statisticians) and for monitors, who review source data (``verify_source``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import F
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from trialkit.core.hygiene import spreadsheet_safe
from trialkit.web.api.auth import actor_of
from trialkit.web.api.derived import list_of
from trialkit.web.api.participants import ParticipantOut
from trialkit.web.api.schemas import ERRORS, FormId, responses
from trialkit.web.pages.readers import ParticipantSummary, participant_summaries
from trialkit.web.trial.actions.base import Actor, InvalidInputError, NotPermittedError
from trialkit.web.trial.actions.forms import why_not_read
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.lookups import visible_participants
from trialkit.web.trial.models import FormVersion
from trialkit.web.trial.read_audit import audited_export, refused_read

router = Router(tags=["exports"])

VERSION_COLUMNS = ("version", "amendment", "current")
"""``screened_under`` flattened into ``screened_under_<column>`` columns of the CSV."""
PARTICIPANT_COLUMNS = [c for c in ParticipantOut.model_fields if c != "screened_under"]
CSV_RESPONSE = {"responses": {200: {"description": "CSV, one row per line, a header first",
                                      "content": {"text/csv": {"schema": {"type": "string"}}}}}}


class FormRowOut(Schema):
    participant_id: int
    screening_number: str
    site: str
    form_id: str
    visit_id: str
    repeat_index: int
    version: int
    saved_at: dt.datetime
    saved_by: str
    data: dict[str, Any]


def _require_export(actor: Actor) -> None:
    if not (actor.can("export_data") or actor.can("verify_source")):
        message = f"role '{actor.role}' may not export data"
        refused_read(actor, AuditAction.EXPORT_DATA, message, object_type="Export")
        raise NotPermittedError(message)


def _audited(request: HttpRequest, actor: Actor, what: str, rows: int) -> None:
    """Every export is in the audit trail: who took which data, how many rows, in which
    format (the endpoint's suffix)."""
    audited_export(actor, what, rows=rows, file_format=request.path.rsplit(".", 1)[-1])


def _participant_rows(request: HttpRequest) -> list[ParticipantSummary]:
    actor = actor_of(request)
    _require_export(actor)
    rows = participant_summaries(actor)
    _audited(request, actor, "participants", len(rows))
    return rows


def _form_rows(request: HttpRequest, form_id: str) -> list[FormRowOut]:
    actor = actor_of(request)
    _require_export(actor)
    try:
        form = actor.protocol().form(form_id)
    except KeyError:
        raise InvalidInputError(f"the protocol has no form '{form_id}'", field="form_id") from None
    refusal = why_not_read(actor, form)
    if refusal:
        raise NotPermittedError(refusal, field="form_id")
    versions = FormVersion.objects.select_related("record__participant__site").filter(
        record__form_id=form_id, record__participant__in=visible_participants(actor),
        number=F("record__latest_version")).order_by("record__participant_id", "record__visit_id",
                                   "record__repeat_index")
    rows = [FormRowOut(participant_id=v.record.participant_id,
                       screening_number=v.record.participant.screening_number,
                       site=v.record.participant.site.code, form_id=form_id,
                       visit_id=v.record.visit_id, repeat_index=v.record.repeat_index,
                       version=v.number, saved_at=v.saved_at, saved_by=v.saved_by, data=v.data)
            for v in versions]
    _audited(request, actor, f"form {form_id}", len(rows))
    return rows


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]], name: str) -> HttpResponse:
    """Text a spreadsheet would run as a formula gets a leading quote (``spreadsheet_safe``):
    form data and screening numbers are typed by people."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([spreadsheet_safe(cell) for cell in header])
    writer.writerows(["" if cell is None else spreadsheet_safe(cell) for cell in row]
                     for row in rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/exports/participants.json", response=responses(list_of(ParticipantOut)))
def participants_json(request: HttpRequest) -> list[ParticipantSummary]:
    """The participant listing at the actor's sites."""
    return _participant_rows(request)


@router.get("/exports/participants.csv", response=ERRORS, openapi_extra=CSV_RESPONSE)
def participants_csv(request: HttpRequest) -> HttpResponse:
    rows = _participant_rows(request)
    screened = [f"screened_under_{c}" for c in VERSION_COLUMNS]
    return _csv(PARTICIPANT_COLUMNS + screened,
                ([getattr(r, c) for c in PARTICIPANT_COLUMNS]
                 + [getattr(r.screened_under, c, None) for c in VERSION_COLUMNS]
                 for r in rows), "participants.csv")


@router.get("/exports/forms/{form_id}.json", response=responses(list[FormRowOut]))
def forms_json(request: HttpRequest, form_id: FormId) -> list[FormRowOut]:
    """The latest version of every instance of one form."""
    return _form_rows(request, form_id)


@router.get("/exports/forms/{form_id}.csv", response=ERRORS, openapi_extra=CSV_RESPONSE)
def forms_csv(request: HttpRequest, form_id: FormId) -> HttpResponse:
    """One column per item of the form, in the protocol's order."""
    rows = _form_rows(request, form_id)
    items = [item.id for item in actor_of(request).protocol().form(form_id).items]
    fixed = ["participant_id", "screening_number", "site", "visit_id", "repeat_index",
             "version", "saved_at"]
    return _csv(fixed + items, ([getattr(r, c) for c in fixed] + [r.data.get(i) for i in items]
                                for r in rows), f"{form_id}.csv")
