"""Source data verification: where a form's items stand against the source, the monitor's
worklist, and verifying an item, a form or a visit, or recording a discrepancy."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Status

from trialkit.web.api.auth import actor_of
from trialkit.web.api.derived import derived, list_of
from trialkit.web.api.schemas import Id, InSchema, TextInput, responses
from trialkit.web.trial.actions import source_verification as sdv
from trialkit.web.trial.lookups import form_record_for, participant_for
from trialkit.web.trial.source_verification import (
    FormVerificationView,
    form_verification,
    verification_worklist,
    visit_verification_forms,
)

router = Router(tags=["source data verification"])
NO_VISIT = "-"
"""The path's stand-in for the log forms kept outside visits."""


class VerifyIn(InSchema):
    item_id: Annotated[str, TextInput("item_id", required=False)] = ""
    """The item to verify; blank: every item of the form not yet verified or changed since."""


class DiscrepancyIn(InSchema):
    item_id: Annotated[str, TextInput("item_id")]
    note: Annotated[str, TextInput("note")]
    """What differs from the source."""


FormVerificationOut = derived(FormVerificationView, "FormVerificationOut")
"""The form page's and the worklist's own record (``source_verification``)."""


@router.get("/verification", response=responses(list_of(FormVerificationOut)))
def worklist(request: HttpRequest) -> list[FormVerificationView]:
    """Saved forms at the actor's sites awaiting source data verification, by participant,
    visit and form (roles that ``verify_source``)."""
    actor = actor_of(request)
    actor.require("verify_source")
    return verification_worklist(actor)


@router.get("/forms/{record_id}/verification", response=responses(FormVerificationOut))
def standing(request: HttpRequest, record_id: Id) -> FormVerificationView:
    """Where each item of the form stands against the source."""
    actor = actor_of(request)
    return form_verification(form_record_for(actor, record_id), actor=actor)


@router.post("/forms/{record_id}/verification", response=responses(FormVerificationOut, 201))
def verify(request: HttpRequest, record_id: Id,
           body: VerifyIn) -> Status[FormVerificationView]:
    """Verify one item, or every item of the form awaiting it, as the latest version holds
    them."""
    actor = actor_of(request)
    record = form_record_for(actor, record_id)
    sdv.do_verify_source(record, body.item_id, actor=actor)
    return Status(201, form_verification(record, actor=actor))


@router.post("/forms/{record_id}/verification/discrepancies",
             response=responses(FormVerificationOut, 201))
def discrepancy(request: HttpRequest, record_id: Id,
                body: DiscrepancyIn) -> Status[FormVerificationView]:
    """Record that an item differs from the source (a query is raised on it for a role that
    raises queries)."""
    actor = actor_of(request)
    record = form_record_for(actor, record_id)
    sdv.do_record_source_discrepancy(record, body.item_id, body.note, actor=actor)
    return Status(201, form_verification(record, actor=actor))


@router.post("/participants/{participant_id}/visits/{visit_id}/verification",
             response=responses(list_of(FormVerificationOut), 201))
def verify_visit(request: HttpRequest, participant_id: Id,
                 visit_id: Annotated[str, TextInput("visit_id")]
                 ) -> Status[list[FormVerificationView]]:
    """Verify every saved form of the visit awaiting it in one act (``-``: the forms outside
    visits); answers the visit's forms as they now stand."""
    actor = actor_of(request)
    participant = participant_for(actor, participant_id)
    visit = "" if visit_id == NO_VISIT else visit_id
    sdv.do_verify_source_visit(participant, visit, actor=actor)
    return Status(201, visit_verification_forms(actor, participant, visit))
