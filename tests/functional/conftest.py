"""Functional fixtures: the API called over HTTP (Django's WSGI test client), every response
checked against the published OpenAPI schema.

``api.get("/api/me", token=...)`` returns the response after asserting that its status is
declared for that operation and its JSON body validates against the declared schema, so every
functional test is also a schema test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import pytest
from django.test import Client

from tests.integration.conftest import PASSWORD, admin, make_actor, study  # noqa: F401

__all__ = ["PASSWORD"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/functional" in str(item.fspath) and not item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.django_db(transaction=False))


@pytest.fixture(scope="session")
def openapi_document() -> dict[str, Any]:
    from trialkit.web.api import api

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/")))


def _template_regex(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
    return re.compile(f"^{pattern}$")


@dataclass
class SchemaChecker:
    document: dict[str, Any]
    routes: list[tuple[re.Pattern[str], str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.routes = [(_template_regex(t), t) for t in self.document["paths"]]

    def operation(self, method: str, path: str) -> dict[str, Any]:
        for regex, template in self.routes:
            if regex.match(path) and method.lower() in self.document["paths"][template]:
                return self.document["paths"][template][method.lower()]
        raise AssertionError(f"{method} {path} is not in the OpenAPI schema")

    def check(self, method: str, path: str, status: int, body: Any,
              content_type: str = "application/json") -> None:
        responses = self.operation(method, path)["responses"]
        declared = responses.get(str(status))
        assert declared is not None, f"{method} {path} answered {status}, not declared " \
                                     f"(declared: {sorted(responses)}); body {body!r}"
        media = content_type.split(";")[0].strip()
        content = declared.get("content", {})
        assert not content or media in content, f"{method} {path}: {media} not declared"
        schema = content.get(media, {}).get("schema")
        if schema is None or media != "application/json":
            return
        root = {**schema, "components": self.document.get("components", {})}
        jsonschema.Draft202012Validator(root).validate(body)


@dataclass
class Api:
    """The HTTP API through the WSGI test client, every answer validated against the schema."""

    client: Client
    checker: SchemaChecker

    def request(self, method: str, path: str, *, token: str | None = None,
                json_body: Any = None, headers: dict[str, str] | None = None,
                raw: bool = False) -> Any:
        extra = dict(headers or {})
        if token is not None:
            extra["Authorization"] = f"Bearer {token}"
        kwargs: dict[str, Any] = {"headers": extra}
        if json_body is not None:
            kwargs |= {"data": json.dumps(json_body), "content_type": "application/json"}
        response = getattr(self.client, method.lower())(path, **kwargs)
        if not raw:
            is_json = response.get("Content-Type", "").startswith("application/json")
            body = json.loads(response.content) if is_json and response.content else None
            self.checker.check(method, path.split("?")[0], response.status_code, body,
                               response.get("Content-Type", ""))
            response.body = body
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json_body=body if body is not None else {}, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("PUT", path, json_body=body if body is not None else {}, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def api(openapi_document) -> Api:
    return Api(Client(), SchemaChecker(openapi_document))


@pytest.fixture
def token_for(admin, make_actor, trial) -> Callable[..., str]:  # noqa: F811
    """``token_for(role)`` → a bearer token of a new user holding that role (at the trial's
    first site, or ``site``)."""
    from trialkit.web.trial.actions.accounts import do_issue_api_token

    def issue(role: str, site: str | None = None, username: str | None = None) -> str:
        actor = admin if role == trial.administrator and username is None else make_actor(
            role, site=site, username=username)
        # Only the owner issues their tokens, re-entering their password.
        return do_issue_api_token(role, f"test {role}", PASSWORD, actor=actor)

    return issue
