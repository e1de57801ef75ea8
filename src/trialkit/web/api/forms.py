"""Case report forms: saving versions, reading a record's history, e-signatures."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import create_model

from trialkit.web.api.auth import actor_of
from trialkit.web.api.derived import derived, dict_of, list_of
from trialkit.web.api.schemas import (
    FormDataInput,
    FormId,
    Id,
    InSchema,
    TextInput,
    WholeNumber,
    responses,
)
from trialkit.web.boundary.form_data import refuse_implausible_dates
from trialkit.web.trial.actions import forms as capture
from trialkit.web.trial.capture_queries import (
    ItemChange,
    SignatureView,
    VersionView,
    form_versions,
    item_audit_trail,
    signature_view,
    version_view,
)
from trialkit.web.trial.lookups import form_record_for, participant_for
from trialkit.web.trial.models import FormRecord, Query, Signature

router = Router(tags=["forms"])


class SaveIn(InSchema):
    form_id: FormId
    visit_id: Annotated[str, TextInput("visit_id", required=False)] = ""
    """Empty for a repeating log form (adverse events, relapses) entered outside a visit."""
    data: Annotated[dict[str, Any], FormDataInput(
        checks="items of the form, each with a value its type, range or code list allows; a "
               "change must change something")]
    reason: Annotated[str, TextInput("reason", required=False,
                                     checks="required to change a saved version")] = ""
    """Required for every save after the first."""
    repeat_index: Annotated[int, WholeNumber("repeat_index", 1, 2**31 - 1,
                                             checks="an instance of the form")] | None = None
    """Which instance of a repeating form to change; omitted = a new instance."""


class SignIn(InSchema):
    password: Annotated[str, TextInput("password")]
    meaning: Annotated[str, TextInput("meaning")]


VersionOut = derived(VersionView, "VersionOut")
"""The form history page's own records (``capture_queries``), signatures nested."""
SignatureOut = derived(SignatureView, "SignatureOut")
ItemChangeOut = derived(ItemChange, "ItemChangeOut")


class RecordOut(Schema):
    id: int
    participant_id: int
    form_id: str
    visit_id: str
    repeat_index: int
    latest_version: int
    signed: bool
    """Whether the latest version carries a signature."""
    open_queries: int


RecordHistoryOut = create_model(
    "RecordHistoryOut", __base__=RecordOut,
    __doc__="A form record with every version, oldest first.",
    versions=(list_of(VersionOut), ...))
SavedOut = create_model(
    "SavedOut", __base__=Schema, __doc__="The record as saved and the version the save made.",
    record=(RecordOut, ...), version=(VersionOut, ...))


def record_out(r: FormRecord) -> RecordOut:
    signed = Signature.objects.filter(version__record=r, version__number=r.latest_version)
    return RecordOut(id=r.id, participant_id=r.participant_id, form_id=r.form_id,
                     visit_id=r.visit_id, repeat_index=r.repeat_index,
                     latest_version=r.latest_version, signed=signed.exists(),
                     open_queries=r.queries.exclude(status=Query.Status.CLOSED).count())


@router.get("/participants/{participant_id}/forms", response=responses(list[RecordOut]))
def forms(request: HttpRequest, participant_id: Id,
          form_id: FormId | None = None) -> list[RecordOut]:
    actor = actor_of(request)
    rows = capture.readable(actor, participant_for(actor, participant_id).forms.order_by("id"))
    if form_id is not None:
        rows = rows.filter(form_id=form_id)
    return [record_out(r) for r in rows]


@router.post("/participants/{participant_id}/forms", response=responses(SavedOut, 201))
def save(request: HttpRequest, participant_id: Id, body: SaveIn) -> Status[dict[str, object]]:
    """Save a form: the first version, or a change with its reason (a new version)."""
    actor = actor_of(request)
    refuse_implausible_dates(actor.protocol(), body.form_id, body.data)
    version = capture.do_save_form(participant_for(actor, participant_id), body.form_id,
                                   body.visit_id, body.data, actor=actor, reason=body.reason,
                                   repeat_index=body.repeat_index,
                                   idempotency_key=request.headers.get("Idempotency-Key"))
    version.record.refresh_from_db()
    return Status(201, {"record": record_out(version.record),
                        "version": version_view(version, version.record)})


@router.get("/forms/{record_id}", response=responses(RecordHistoryOut))
def history(request: HttpRequest, record_id: Id) -> dict[str, object]:
    """A form record with every version, newest last, and their signatures."""
    actor = actor_of(request)
    found = form_record_for(actor, record_id)
    return {**record_out(found).model_dump(), "versions": form_versions(found, actor=actor)}


@router.post("/forms/{record_id}/signatures", response=responses(SignatureOut, 201))
def sign(request: HttpRequest, record_id: Id, body: SignIn) -> Status[SignatureView]:
    actor = actor_of(request)
    record = form_record_for(actor, record_id)
    signature = capture.do_sign_form(record, body.password, body.meaning, actor=actor)
    return Status(201, signature_view(signature, record))


@router.get("/forms/{record_id}/audit-trail",
            response=responses(dict_of(str, list_of(ItemChangeOut))))
def item_trail(request: HttpRequest, record_id: Id) -> dict[str, list[ItemChange]]:
    """Item id → every change of its value (old → new, who, when, why), oldest first."""
    actor = actor_of(request)
    return item_audit_trail(form_record_for(actor, record_id), actor=actor)
