"""The API's input types: each validates with a rule of ``fields`` and publishes the same rule
as its JSON Schema, so the OpenAPI document and the validation cannot drift apart.

Use them as ``Annotated`` metadata in request schemas::

    username: Annotated[str, TextInput("username")]
    reason: Annotated[str, TextInput("reason", required=False)] = ""
    done_on: Annotated[dt.date, DateInput("done_on")]

A refusal is a pydantic error whose message starts with the field's name; the API answers 422
with that field (``trialkit.web.api.app``). ``checks`` names what the server checks beyond the
schema (an existing site, the password policy); it is published as ``x-trialkit-checks`` so a
client, and the schema fuzzing test, know a schema-valid value may still be refused there.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from trialkit.core.hygiene import (
    DateKind,
    InputRefusedError,
    check_date,
    check_moment,
    date_pattern,
    moment_pattern,
    parse_date,
    parse_moment,
    window,
)
from trialkit.web.boundary.fields import CHECKS, DATES, rule

CHECKS_KEY = "x-trialkit-checks"
JUDGEMENTS = ("met", "not_met")
FORM_VALUES_MAX = 500
"""Items one form submission may carry (no protocol form comes near it)."""


def refused(field: str, message: str) -> PydanticCustomError:
    # The message is a template to pydantic: braces in a value must not be read as fields.
    text = f"{field} {message}".replace("{", "{{").replace("}", "}}")
    return PydanticCustomError("input_refused", text)


def _today() -> dt.date:
    from trialkit.web.trial.gate_facts import today

    return today()


def _with_checks(schema: dict[str, Any], checks: str) -> dict[str, Any]:
    return {**schema, CHECKS_KEY: checks} if checks else schema


@dataclass(frozen=True)
class TextInput:
    """A text field of ``fields.text_rules``; ``required=False`` lets it be blank."""

    field: str
    required: bool = True
    checks: str = ""

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.validate)

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return _with_checks(rule(self.field).schema(required=self.required),
                            self.checks or CHECKS.get(self.field, ""))

    def validate(self, value: object) -> str:
        if not isinstance(value, str):
            raise refused(self.field, "must be text")
        try:
            return rule(self.field).clean(value, required=self.required)
        except InputRefusedError as exc:
            raise refused(self.field, str(exc)) from None


@dataclass(frozen=True)
class DateInput:
    """A date field of ``fields.DATES``: ``YYYY-MM-DD`` within its kind's window."""

    field: str
    checks: str = ""

    @property
    def kind(self) -> DateKind:
        return DATES[self.field]

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.validate)

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # Generated afresh with every schema: the window moves with the calendar.
        return _with_checks({"type": "string", "format": "date",
                             "pattern": date_pattern(*window(self.kind, _today()))}, self.checks)

    def validate(self, value: object) -> dt.date:
        if not isinstance(value, str):
            raise refused(self.field, "must be a date as YYYY-MM-DD")
        try:
            return check_date(parse_date(value), self.kind, _today())
        except InputRefusedError as exc:
            raise refused(self.field, str(exc)) from None


@dataclass(frozen=True)
class MomentInput(DateInput):
    """A date and time with its time zone, its date within the kind's window."""

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return _with_checks({"type": "string", "format": "date-time",
                             "pattern": moment_pattern(*window(self.kind, _today()))},
                            self.checks)

    def validate(self, value: object) -> dt.datetime:  # type: ignore[override]
        if not isinstance(value, str):
            raise refused(self.field, "must be a date and time as text")
        try:
            return check_moment(parse_moment(value), self.kind, _today())
        except InputRefusedError as exc:
            raise refused(self.field, str(exc)) from None


@dataclass(frozen=True)
class FormDataInput:
    """A form submission: item id → text, number, true/false or null. Text follows the free-text
    rule; which items exist and what each takes is the protocol's (``checks``)."""

    field: str = "data"
    checks: str = ""

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.validate)

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        text = rule("item_value").schema(required=False)
        return _with_checks({
            "type": "object", "maxProperties": FORM_VALUES_MAX,
            "propertyNames": rule("item_id").schema(required=True),
            "additionalProperties": {"anyOf": [text, {"type": "number"}, {"type": "boolean"},
                                               {"type": "null"}]}}, self.checks)

    def validate(self, value: object) -> dict[str, object]:
        if not isinstance(value, dict):
            raise refused(self.field, "must be an object of item id → value")
        if len(value) > FORM_VALUES_MAX:
            raise refused(self.field, f"has more than {FORM_VALUES_MAX} items")
        return {self._key(key): self._value(key, item) for key, item in value.items()}

    def _key(self, key: object) -> str:
        try:
            return rule("item_id").clean(str(key), required=True)
        except InputRefusedError as exc:
            raise refused(f"{self.field} key", str(exc)) from None

    def _value(self, key: object, item: object) -> object:
        where = f"{self.field}.{key}"
        if item is None or isinstance(item, bool | int):
            return item
        if isinstance(item, float):
            if not math.isfinite(item):
                raise refused(where, "must be a finite number")
            return item
        if not isinstance(item, str):
            raise refused(where, "must be text, a number, true/false or null")
        try:
            return rule("item_value").clean(item, required=False)
        except InputRefusedError as exc:
            raise refused(where, str(exc)) from None


@dataclass(frozen=True)
class JudgementsInput:
    """Criterion id → ``met`` or ``not_met``: an investigator's judgement of criteria."""

    field: str = "judgements"
    checks: str = ""
    most: int = 200

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.validate)

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return _with_checks({
            "type": "object", "maxProperties": self.most,
            "propertyNames": rule("criterion").schema(required=True),
            "additionalProperties": {"type": "string", "enum": list(JUDGEMENTS)}}, self.checks)

    def validate(self, value: object) -> dict[str, str]:
        if not isinstance(value, dict):
            raise refused(self.field, "must be an object of criterion id → met or not_met")
        if len(value) > self.most:
            raise refused(self.field, f"has more than {self.most} criteria")
        judged: dict[str, str] = {}
        for key, status in value.items():
            try:
                criterion = rule("criterion").clean(str(key), required=True)
            except InputRefusedError as exc:
                raise refused(f"{self.field} key", str(exc)) from None
            if status not in JUDGEMENTS:
                raise refused(f"{self.field}.{criterion}", "is met or not_met")
            judged[criterion] = status
        return judged


@dataclass(frozen=True)
class ChoiceInput:
    """One of a fixed set of words (``enum`` in the schema)."""

    field: str
    choices: tuple[str, ...]

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.validate)

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"type": "string", "enum": list(self.choices)}

    def validate(self, value: object) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise refused(self.field, f"is one of {', '.join(self.choices)}")
        return value


@dataclass(frozen=True)
class WholeNumber:
    """A whole number in a JSON body, within bounds. ``3`` and ``3.0`` are the same JSON
    Schema integer; the string ``"3"`` and ``true`` are not numbers."""

    field: str
    minimum: int
    maximum: int
    checks: str = ""

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.validate)

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return _with_checks({"type": "integer", "minimum": self.minimum,
                             "maximum": self.maximum}, self.checks)

    def validate(self, value: object) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise refused(self.field, "must be a whole number")
        if not self.minimum <= value <= self.maximum:
            raise refused(self.field, f"must be from {self.minimum} to {self.maximum}")
        return value
