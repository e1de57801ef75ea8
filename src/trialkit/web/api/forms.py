"""Case report forms: saving versions, reading a record's history, e-signatures."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from trialkit.web.api.auth import actor_of
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
from trialkit.web.trial.capture_queries import item_audit_trail
from trialkit.web.trial.lookups import form_record_for, participant_for
from trialkit.web.trial.models import FormRecord, FormVersion, Query, Signature

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


class SignatureOut(Schema):
    version: int
    signer: str
    signer_role: str
    printed_name: str
    meaning: str
    signed_at: dt.datetime


class VersionOut(Schema):
    number: int
    data: dict[str, Any]
    saved_by: str
    saved_role: str
    saved_at: dt.datetime
    reason: str
    findings: list[Any]
    signatures: list[SignatureOut]


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


class RecordHistoryOut(RecordOut):
    versions: list[VersionOut]


class ItemChangeOut(Schema):
    version: int
    old: Any
    new: Any
    by: str
    role: str
    at: dt.datetime
    reason: str


class SavedOut(Schema):
    record: RecordOut
    version: VersionOut


def _signature_out(s: Signature) -> SignatureOut:
    return SignatureOut(version=s.version.number, signer=s.signer.get_username(),
                        signer_role=s.signer_role, printed_name=s.printed_name,
                        meaning=s.meaning, signed_at=s.signed_at)


def _version_out(v: FormVersion) -> VersionOut:
    return VersionOut(number=v.number, data=v.data, saved_by=v.saved_by, saved_role=v.saved_role,
                      saved_at=v.saved_at, reason=v.reason, findings=list(v.findings or []),
                      signatures=[_signature_out(s) for s in v.signatures.select_related(
                          "signer", "version").order_by("signed_at")])


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
def save(request: HttpRequest, participant_id: Id, body: SaveIn) -> Status[SavedOut]:
    """Save a form: the first version, or a change with its reason (a new version)."""
    actor = actor_of(request)
    refuse_implausible_dates(actor.protocol(), body.form_id, body.data)
    version = capture.do_save_form(participant_for(actor, participant_id), body.form_id,
                                   body.visit_id, body.data, actor=actor, reason=body.reason,
                                   repeat_index=body.repeat_index,
                                   idempotency_key=request.headers.get("Idempotency-Key"))
    version.record.refresh_from_db()
    return Status(201, SavedOut(record=record_out(version.record),
                                version=_version_out(version)))


@router.get("/forms/{record_id}", response=responses(RecordHistoryOut))
def history(request: HttpRequest, record_id: Id) -> RecordHistoryOut:
    """A form record with every version, newest last, and their signatures."""
    found = form_record_for(actor_of(request), record_id)
    return RecordHistoryOut(**record_out(found).dict(),
                            versions=[_version_out(v) for v in found.versions.order_by("number")])


@router.post("/forms/{record_id}/signatures", response=responses(SignatureOut, 201))
def sign(request: HttpRequest, record_id: Id, body: SignIn) -> Status[SignatureOut]:
    actor = actor_of(request)
    signature = capture.do_sign_form(form_record_for(actor, record_id), body.password,
                                     body.meaning, actor=actor)
    return Status(201, _signature_out(signature))


@router.get("/forms/{record_id}/audit-trail", response=responses(dict[str, list[ItemChangeOut]]))
def item_trail(request: HttpRequest, record_id: Id) -> dict[str, list[ItemChangeOut]]:
    """Item id → every change of its value (old → new, who, when, why), oldest first."""
    actor = actor_of(request)
    trail = item_audit_trail(form_record_for(actor, record_id), actor=actor)
    return {item: [ItemChangeOut(**asdict(change)) for change in changes]
            for item, changes in trail.items()}
