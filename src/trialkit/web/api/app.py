"""The NinjaAPI instance, authentication and the mapping of errors to HTTP answers.

Every refusal has the body ``{"detail": ..., "field": ...}`` (plus ``errors`` for malformed
input) and the status of the action's error: 403 not permitted, 404 not found, 409 the trial's
state refuses, 422 bad input. Nothing is written on any of them (actions are transactions).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from trialkit import __version__
from trialkit.web.api.auth import API_AUTH
from trialkit.web.api.routers import ALL as ROUTERS
from trialkit.web.trial.actions.base import ActionError
from trialkit.web.trial.study import NoStudyError

api = NinjaAPI(
    title="trialkit", version=__version__, auth=API_AUTH, urls_namespace="api",
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
