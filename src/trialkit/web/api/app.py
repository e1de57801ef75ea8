"""The NinjaAPI instance, authentication and the mapping of action errors to HTTP answers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer

from trialkit import __version__
from trialkit.web.trial.actions.base import ActionError, actor_for
from trialkit.web.trial.actions.accounts import user_for_token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer tk_...``: a system acting as a user in one role."""

    def authenticate(self, request: HttpRequest, token: str) -> object | None:
        try:
            user, role = user_for_token(token)
            request.actor = actor_for(user, role)  # type: ignore[attr-defined]
        except ActionError:
            return None
        return request.actor  # type: ignore[attr-defined]


api = NinjaAPI(title="trialkit", version=__version__, auth=TokenAuth(),
               description="Run a clinical trial from one protocol file. Every write is an "
                           "audited action; blinded roles never receive allocation.")


@api.exception_handler(ActionError)
def _action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message, "field": exc.field},
                               status=exc.status)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [{"field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query",
                                                                               "path")),
               "detail": e.get("msg", "invalid")} for e in exc.errors]
    first = errors[0] if errors else {"field": "", "detail": "invalid input"}
    return api.create_response(request, {"detail": first["detail"], "field": first["field"],
                                         "errors": errors}, status=422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": "authentication required", "field": ""},
                               status=401)
