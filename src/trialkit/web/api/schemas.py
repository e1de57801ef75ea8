"""Types shared by every router: the base of request bodies, the error body and the error
responses every endpoint declares, and the input types of path and query parameters.

Every field of a request body is typed with an input type of ``trialkit.web.boundary`` (text,
date, form data) or a bounded number, so the published schema states exactly what is accepted.
"""

from __future__ import annotations

from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field

from trialkit.web.boundary.api_types import (
    ChoiceInput,
    DateInput,
    FormDataInput,
    JudgementsInput,
    MomentInput,
    TextInput,
    WholeNumber,
)
from trialkit.web.boundary.fields import ID_MAX

__all__ = ["ERRORS", "AdministrationId", "ChoiceInput", "DateInput", "Done", "ErrorOut",
           "FormDataInput", "FormId", "Id", "InSchema", "JudgementsInput", "KitCode",
           "MomentInput", "ReasonIn", "StatusFilter", "TextInput", "VisitId", "WholeNumber",
           "responses"]

Id = Annotated[int, Field(ge=1, le=ID_MAX)]
"""A database id in a path or a query."""
FormId = Annotated[str, TextInput("form_id")]
VisitId = Annotated[str, TextInput("visit_id")]
AdministrationId = Annotated[str, TextInput("administration_id")]
KitCode = Annotated[str, TextInput("kit_code")]
StatusFilter = Annotated[str, TextInput("status")]
"""Protocol ids, kit codes and status words in paths and queries."""


class InSchema(Schema):
    """Base of every request body: a property the schema does not declare is refused (the
    published schema says ``additionalProperties: false``)."""

    model_config = ConfigDict(extra="forbid")


class FieldError(Schema):
    field: str
    detail: str


class ErrorOut(Schema):
    """Every refusal: what is wrong and, when it is about one input, which field."""

    detail: str
    field: str = ""
    errors: list[FieldError] | None = None


class ReasonIn(InSchema):
    reason: Annotated[str, TextInput("reason")]


class Done(Schema):
    ok: bool = True


# Statuses an endpoint may answer besides its success; declared so the schema is honest.
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          413: ErrorOut, 422: ErrorOut}


def responses(success: object, status: int = 200) -> dict[int, object]:
    """The response map of an endpoint: its success type plus every error status."""
    return {status: success, **ERRORS}
