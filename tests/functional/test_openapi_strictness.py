"""The published schema is as strict as the validation: every request field says what it takes.

The schema fuzzing (test_schemathesis.py) proves the two agree request by request; this test
proves no request field is left open (a string without a length or a pattern, an object that
takes any property), including on endpoints added later.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from trialkit.core.hygiene import IDENTIFIER, USERNAME


def _resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return document["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def _leaves(document: dict[str, Any], schema: dict[str, Any],
            where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema a value is checked against, objects' properties walked into."""
    schema = _resolved(document, schema)
    for choice in schema.get("anyOf", []):
        yield from _leaves(document, choice, where)
    if schema.get("type") == "object":
        yield where, schema
        for name, inner in schema.get("properties", {}).items():
            yield from _leaves(document, inner, f"{where}.{name}")
        if isinstance(schema.get("additionalProperties"), dict):
            yield from _leaves(document, schema["additionalProperties"], f"{where}.*")
        if "propertyNames" in schema:
            yield from _leaves(document, schema["propertyNames"], f"{where} key")
    elif "type" in schema:
        yield where, schema


def _request_schemas(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                yield from _leaves(document, parameter["schema"], f"{label} {parameter['name']}")
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                yield from _leaves(document, body["schema"], f"{label} body")


def test_every_request_field_of_the_schema_is_bounded(openapi_document):
    open_fields = []
    for where, schema in _request_schemas(openapi_document):
        kind = schema["type"]
        if kind == "object":
            closed = schema.get("additionalProperties") is False or (
                "propertyNames" in schema and "maxProperties" in schema)
            ok = closed and (schema.get("additionalProperties") is not False
                             or set(schema.get("required", [])) <= set(schema["properties"]))
        elif kind == "string":
            ok = "enum" in schema or ("maxLength" in schema and "pattern" in schema) or (
                schema.get("format") in ("date", "date-time") and "pattern" in schema)
        elif kind == "integer":
            ok = "minimum" in schema and "maximum" in schema
        else:
            ok = kind in ("number", "boolean", "null")
        if not ok:
            open_fields.append(f"{where}: {schema}")
    assert not open_fields, "\n".join(open_fields)


def test_the_sign_in_body_states_its_rules(openapi_document):
    body = openapi_document["components"]["schemas"]["SignInIn"]
    assert body["additionalProperties"] is False
    assert body["required"] == ["username", "password"]
    username = body["properties"]["username"]
    assert (username["minLength"], username["maxLength"]) == (1, 150)
    assert USERNAME in username["pattern"]
    assert re.search(username["pattern"], "ada.admin") and not re.search(username["pattern"],
                                                                         "ada admin")
    role = _resolved(openapi_document, body["properties"]["role"]["anyOf"][0])
    assert IDENTIFIER in role["pattern"] and role["maxLength"] == 64


def test_dates_state_their_format_and_window(openapi_document):
    consent = openapi_document["components"]["schemas"]["ConsentIn"]["properties"]
    day = consent["consent_date"]
    assert day["format"] == "date"
    assert re.search(day["pattern"], "1990-06-15") and not re.search(day["pattern"], "0001-01-01")
    assert consent["form_version"]["maxLength"] == 64
    reason = openapi_document["components"]["schemas"]["ReasonIn"]["properties"]["reason"]
    assert reason["maxLength"] == 2000 and reason["minLength"] == 1


def test_fields_the_server_checks_further_say_so(openapi_document):
    """A schema-valid site may not exist: the schema says the server checks that."""
    register = openapi_document["components"]["schemas"]["RegisterIn"]["properties"]
    assert "existing site" in register["site"]["x-trialkit-checks"]
    assert "x-trialkit-checks" not in register["screening_number"]
