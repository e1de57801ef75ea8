"""The JSON API speaks the protocol's own language, whatever the caller's browser asks for.

Pages follow the person's choice (LocaleMiddleware). API answers are data for programs: the same
request gives the same answer for every caller, so a client in Taipei and a pipeline in a data
centre read identical labels (docs/how-to/translate.md).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class ApiInProtocolLanguageMiddleware:
    """Runs requests under /api/ in ``LANGUAGE_CODE`` (after LocaleMiddleware chose one)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        with translation.override(settings.LANGUAGE_CODE):
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE  # type: ignore[attr-defined]
            response = self.get_response(request)
        # LocaleMiddleware only fills the header when it is missing.
        response.headers["Content-Language"] = settings.LANGUAGE_CODE
        return response
