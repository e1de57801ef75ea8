"""Schemathesis over the whole API, as a powerful and as blinded roles: no server error ever,
and every answer has a declared status, content type and a body matching its schema.

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

import os
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from trialkit.web.wsgi import application

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = int(os.environ.get("TRIALKIT_SCHEMATHESIS_EXAMPLES", "10"))


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
    from tests.integration.capture_support import DAY
    from trialkit.web.trial.actions.forms import do_save_form
    from trialkit.web.trial.actions.participants import do_register_candidate
    from trialkit.web.trial.actions.queries import do_raise_query

    coordinator = make_actor(trial.screener, username="seed-coordinator")
    monitor = make_actor(trial.monitor, username="seed-monitor")
    form = trial.forms_of_kind("demographics")[0]
    enterer = make_actor(trial.entry_role(form), username="seed-enterer")
    item = next(i.id for i in form.items if i.required)
    for number in ("SEED-1", "SEED-2"):
        participant = do_register_candidate(number, trial.site, actor=coordinator)
        do_save_form(participant, form.id, trial.visits_collecting(form)[0],
                     trial.values(form, DAY), actor=enterer)
        do_raise_query(participant.forms.get(), item, "Please confirm", actor=monitor)


@pytest.fixture
def api_schema(openapi_document):
    schema = schemathesis.openapi.from_dict(openapi_document)
    schema.app = application
    return schema


def _exercise(operation, mode: schemathesis.GenerationMode, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.parametrize("who", ["administrator", "list_manager", "screener"])
def test_no_request_makes_the_server_fail_or_break_its_schema(
        trial, who, api_schema, token_for, seeded, wsgi_in_test_transaction):
    """As the role that manages users, the unblinded one that manages the list, and a blinded
    site role."""
    role = getattr(trial, who)
    token = token_for(role, username=f"fuzz-{role}")
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert operations
    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            _exercise(operation, mode, headers)
