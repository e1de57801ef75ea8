"""Schemathesis over the whole API, as a powerful and as blinded roles: no server error ever,
every answer has a declared status, content type and a body matching its schema, invalid
requests are refused, and valid ones are not.

A request the schema allows is refused (422) only on a field whose schema says, under
``x-trialkit-checks``, what the server checks beyond it (an existing site, a role of the
protocol, the password policy): the rest of the input rules are in the schema itself, generated
from the declarations the validation uses (``trialkit.web.boundary``), so they cannot drift.

Both well-formed (positive) and malformed (negative) requests are generated for every
operation of the published schema, so endpoints added later are covered without edits here.

This runs on the reference protocol only: the published schema is the same for every protocol
(it names no protocol's forms, roles or arms), and the fuzzing is the most expensive suite (a
minute and a half per protocol on a quiet 2-core machine). What differs between protocols —
who may call what, which values a form takes, what a blinded role receives — is exercised on
every protocol by the functional tests beside this one, each answer checked against the same
schema, and by the API blinding crawl.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote

import jsonschema
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    AcceptedNegativeData,
    RejectedPositiveData,
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.transport.wsgi import WSGI_TRANSPORT
from werkzeug.test import EnvironBuilder

from trialkit.web.boundary.api_types import CHECKS_KEY
from trialkit.web.wsgi import application

EXAMPLES = int(os.environ.get("TRIALKIT_SCHEMATHESIS_EXAMPLES", "10"))


def checked_fields(document: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """(method, path) → the request fields whose schema declares a further server check."""
    components = document.get("components", {}).get("schemas", {})

    def resolved(schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref", "")
        return components[ref.rsplit("/", 1)[-1]] if ref else schema

    def declares(schema: dict[str, Any]) -> bool:
        schema = resolved(schema)
        return CHECKS_KEY in schema or any(declares(s) for s in schema.get("anyOf", []))

    found: dict[tuple[str, str], set[str]] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            names = {p["name"] for p in operation.get("parameters", []) if declares(p["schema"])}
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                properties = resolved(body["schema"]).get("properties", {})
                names |= {name for name, schema in properties.items() if declares(schema)}
            found[(method.upper(), path)] = names
    return found


def _refused_fields(response) -> set[str]:
    try:
        body = json.loads(response.content)
    except ValueError:
        return {""}
    fields = {body.get("field", "")} | {e.get("field", "") for e in body.get("errors") or []}
    return {field.split(".")[0] for field in fields}


def _valid(document: dict[str, Any], schema: dict[str, Any], value: Any) -> bool:
    # A trailing line break passes Python's ``$`` but not ECMA-262's (the schema's dialect).
    if isinstance(value, str) and value.endswith("\n"):
        return False
    validator = jsonschema.Draft202012Validator(
        {**schema, "components": document.get("components", {})},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    candidates = [value]
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        candidates.append(int(value))  # a number in a path or a query is text on the wire
    return any(validator.is_valid(candidate) for candidate in candidates)


def _as_sent(case) -> tuple[str, str, bytes]:
    """(path, query string, body) of the request the WSGI transport sends. The request
    schemathesis reports is serialized another way (for ``requests``): an object in a query
    string is reported as its keys but sent as the text of its repr."""
    environ = EnvironBuilder(**WSGI_TRANSPORT.serialize_case(case)).get_environ()
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    return unquote(environ["PATH_INFO"]), environ["QUERY_STRING"], body


def sent_request_is_valid(document: dict[str, Any], case) -> bool:
    """Whether the request as it went over the wire satisfies the schema: a value generated
    as invalid can arrive valid (that object in a query string is a perfectly good string)."""
    operation = document["paths"][case.operation.path][case.method.lower()]
    sent_path, sent_query, sent_body = _as_sent(case)
    query = parse_qs(sent_query, keep_blank_values=True)
    template = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(case.operation.path))
    path = re.fullmatch(template, sent_path)
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            values = [path[parameter["name"]]] if path else []
        elif parameter["in"] == "query":
            values = query.get(parameter["name"], [])
        else:
            continue
        if len(values) > 1 or (not values and parameter.get("required")):
            return False
        if values and not _valid(document, parameter["schema"], values[0]):
            return False
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None and sent_body:
        try:
            return _valid(document, body["schema"], json.loads(sent_body))
        except ValueError:
            return False
    return body is None or not operation["requestBody"].get("required")


def rejects_invalid_data(document: dict[str, Any]):
    """``negative_data_rejection``, judged on the request as sent (``sent_request_is_valid``)."""

    @schemathesis.check
    def invalid_data_is_refused(ctx, response, case) -> bool | None:
        try:
            return negative_data_rejection(ctx, response, case)
        except AcceptedNegativeData:
            if sent_request_is_valid(document, case):
                return None
            raise

    return invalid_data_is_refused


def accepts_valid_data(declared: dict[tuple[str, str], set[str]]):
    """``positive_data_acceptance``, except for a 422 on fields the schema declares further
    server checks on (and only those)."""

    @schemathesis.check
    def valid_data_is_accepted(ctx, response, case) -> bool | None:
        try:
            return positive_data_acceptance(ctx, response, case)
        except RejectedPositiveData:
            checked = declared.get((case.method.upper(), case.operation.path), set())
            if response.status_code == 422 and _refused_fields(response) <= checked:
                return None
            raise

    return valid_data_is_accepted


@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    # The WSGI handler closes the connection around each request; inside the test's transaction
    # that would discard the fixtures, so keep it open as Django's own test client does.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def seeded(trial, make_actor):
    """Real objects with small ids, so generated ids also reach existing records."""
    from tests.integration.capture_support import DAY, consented
    from trialkit.web.trial.actions.forms import do_save_form
    from trialkit.web.trial.actions.participants import do_register_candidate
    from trialkit.web.trial.actions.queries import do_raise_query

    coordinator = make_actor(trial.screener, username="seed-coordinator")
    monitor = make_actor(trial.monitor, username="seed-monitor")
    form = trial.forms_of_kind("demographics")[0]
    enterer = make_actor(trial.entry_role(form), username="seed-enterer")
    item = next(i.id for i in form.items if i.required)
    for number in ("SEED-1", "SEED-2"):
        participant = consented(do_register_candidate(number, trial.site, actor=coordinator),
                                coordinator)
        do_save_form(participant, form.id, trial.visits_collecting(form)[0],
                     trial.values(form, DAY), actor=enterer)
        do_raise_query(participant.forms.get(form_id=form.id), item, "Please confirm",
                       actor=monitor)


@pytest.fixture
def api_schema(openapi_document):
    schema = schemathesis.openapi.from_dict(openapi_document)
    schema.app = application
    return schema


def _exercise(operation, mode: schemathesis.GenerationMode, headers: dict[str, str],
              checks: list) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks)

    run()


@pytest.mark.parametrize("who", ["administrator", "list_manager", "screener"])
def test_no_request_makes_the_server_fail_or_break_its_schema(
        trial, who, api_schema, openapi_document, token_for, seeded, wsgi_in_test_transaction):
    """As the role that manages users, the unblinded one that manages the list, and a blinded
    site role."""
    role = getattr(trial, who)
    token = token_for(role, username=f"fuzz-{role}")
    headers = {"Authorization": f"Bearer {token}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance, rejects_invalid_data(openapi_document),
              accepts_valid_data(checked_fields(openapi_document))]
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert operations
    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            _exercise(operation, mode, headers, checks)
