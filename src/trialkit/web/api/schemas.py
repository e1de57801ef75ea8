"""Types shared by every router: the error body and the error responses every endpoint declares."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, field_validator


def no_nul(value: Any) -> Any:
    """Refuse the NUL character anywhere in a value: PostgreSQL cannot store it in text or JSON,
    so it would fail deep in an action instead of being refused as input."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain the NUL character")
    if isinstance(value, dict):
        for key, item in value.items():
            no_nul(key)
            no_nul(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            no_nul(item)
    return value


Text = Annotated[str, AfterValidator(no_nul)]
"""A string path or query parameter."""


class InSchema(Schema):
    """Base of every request body: no field may carry a NUL character, at any depth."""

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return no_nul(value)


class FieldError(Schema):
    field: str
    detail: str


class ErrorOut(Schema):
    """Every refusal: what is wrong and, when it is about one input, which field."""

    detail: str
    field: str = ""
    errors: list[FieldError] | None = None


class ReasonIn(InSchema):
    reason: str


class Done(Schema):
    ok: bool = True


# Statuses an endpoint may answer besides its success; declared so the schema is honest.
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}


def responses(success: object, status: int = 200) -> dict[int, object]:
    """The response map of an endpoint: its success type plus every error status."""
    return {status: success, **ERRORS}
