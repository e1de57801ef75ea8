"""The NinjaAPI instance, authentication and the mapping of errors to HTTP answers.

Every refusal has the body ``{"detail": ..., "field": ...}`` (plus ``errors`` for malformed
input) and the status of the action's error: 403 not permitted, 404 not found, 409 the trial's
state refuses, 422 bad input. Nothing is written on any of them (actions are transactions).
Before any of this the input boundary (``trialkit.web.boundary``) has refused a body too large
(413), not strict JSON (400) or holding a lone surrogate (422); the request types refuse a
field that breaks its rule (422 naming it).
"""

from __future__ import annotations

import copy
from typing import Any, cast

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from trialkit import __version__
from trialkit.web.api.auth import API_AUTH
from trialkit.web.api.routers import ALL as ROUTERS
from trialkit.web.boundary.middleware import PARSED_JSON, Refused, parse_json
from trialkit.web.trial.actions.base import ActionError
from trialkit.web.trial.study import NoStudyError


class BoundaryParser(Parser):
    """The body as the input boundary parsed it (strict JSON, read once); parsed here, as
    strictly, when the middleware did not run (a test calling a view directly)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        if hasattr(request, PARSED_JSON):
            return cast(dict[str, Any], getattr(request, PARSED_JSON))
        try:
            return cast(dict[str, Any], parse_json(request.body))
        except Refused as refusal:
            raise ValueError(refusal.detail) from None


class TrialkitAPI(NinjaAPI):
    """The API, its OpenAPI document built once per process: the document depends only on the
    code (never on the protocol or the data), and building it takes a second or more, which
    every request for ``/api/openapi.json`` (a readiness probe, the docs page) would pay."""

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> Any:
        # The served document asks with no prefix (ninja then finds the API's root); the command
        # line and the tests ask for "/api/". One key for both: one build per process, so the
        # document the server publishes and the one the command line writes cannot differ.
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        key = (path_prefix, tuple(sorted((path_params or {}).items())))
        built: dict[tuple[object, ...], Any] = self.__dict__.setdefault("_built_schemas", {})
        if key not in built:
            built[key] = super().get_openapi_schema(path_prefix=path_prefix,
                                                    path_params=path_params)
        # A copy: a caller may add to what it gets (the command line adds servers).
        return copy.deepcopy(built[key])


api = TrialkitAPI(
    title="trialkit", version=__version__, auth=API_AUTH, urls_namespace="api",
    parser=BoundaryParser(),
    description="Run a clinical trial from one protocol file. Every write is an audited action; "
                "blinded roles never receive allocation. Authenticate with `Authorization: "
                "Bearer <token>` (systems) or a session from `POST /api/session` (people; pick "
                "the role with `PUT /api/session/role` or the `X-Trialkit-Role` header).")


def _error(request: HttpRequest, detail: str, field: str, status: int) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "field": field}, status=status)


@api.exception_handler(ActionError)
def _action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    return _error(request, exc.message, exc.field, exc.status)


def _location(loc: object) -> str:
    parts = loc if isinstance(loc, (list, tuple)) else (loc,)
    return ".".join(str(p) for p in parts if p not in ("body", "query", "path", "payload",
                                                       "header", "cookie", "form"))


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [{"field": _location(e.get("loc", ())), "detail": str(e.get("msg", "invalid"))}
              for e in exc.errors]
    first = errors[0] if errors else {"field": "", "detail": "invalid input"}
    return api.create_response(request, {"detail": first["detail"], "field": first["field"],
                                         "errors": errors}, status=422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, "authentication required", "", 401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.message, "", exc.status_code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, str(exc) or "not found", "", 404)


@api.exception_handler(NoStudyError)
def _no_study(request: HttpRequest, exc: NoStudyError) -> HttpResponse:
    return _error(request, str(exc), "", 409)


for prefix, router in ROUTERS:
    api.add_router(prefix, router)
