"""What every request goes through before any view: the size of its body, the syntax of a JSON
body, the characters of its query string and of the headers views read.

Field-level rules (lengths, patterns, dates) are applied where the fields are read: by the
API's request types and by the pages' form readers, both from ``fields``. This middleware only
refuses what no field reader should ever see:

- a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``: 413 before it is read;
- an API body that is not strict JSON (not UTF-8, a syntax error, NaN or Infinity, a key given
  twice, nesting deeper than ``JSON_DEPTH_MAX``): 400 saying why;
- a lone UTF-16 surrogate anywhere in an API body (JSON can escape one, ``"\\ud800"``, but it
  is not text and cannot be stored): 422 naming where it is;
- an API query parameter given more than once (none is a list): 422 naming it;
- a query-string value holding control characters or longer than ``QUERY_VALUE_MAX``, or a
  header a view reads (``HEADERS``) breaking its field's rule: 422 (API) or 400 (pages)
  naming the parameter or header.

The parsed JSON is kept on the request for the API's parser, so the body is read once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from trialkit.core.hygiene import InputRefusedError
from trialkit.web.boundary.fields import rule

API_PREFIX = "/api/"
JSON_DEPTH_MAX = 16
"""No request body of the API nests deeper than three levels."""
DEFAULT_BODY_MAX = 2_621_440
"""Django's own default for ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MiB)."""
PARSED_JSON = "_trialkit_json"
"""The request attribute holding the parsed API body."""
HEADERS = {"X-Trialkit-Role": "role", "Idempotency-Key": "submission"}
"""Request headers a view reads, and the field rule each follows."""


class Refused(Exception):  # noqa: N818 (a refusal, not a failure of the server)
    def __init__(self, status: int, detail: str, field: str = "") -> None:
        super().__init__(detail)
        self.status, self.detail, self.field = status, detail, field


def body_limit() -> int:
    return int(getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None) or DEFAULT_BODY_MAX)


class InputBoundaryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        is_api = request.path.startswith(API_PREFIX)
        try:
            check_request(request, is_api=is_api)
        except Refused as refusal:
            return _answer(refusal, is_api=is_api)
        return self.get_response(request)


def check_request(request: HttpRequest, *, is_api: bool) -> None:
    _check_size(request)
    bad_input = 422 if is_api else 400
    for name, values in request.GET.lists():
        _check_query_value("a parameter name", name, bad_input)
        if is_api and len(values) > 1:  # no API parameter is a list: the rest would be lost
            raise Refused(422, f"{name} is given {len(values)} times; give it once",
                          field=name)
        for value in values:
            _check_query_value(name, value, bad_input)
    for header, field in HEADERS.items():
        value = request.headers.get(header)
        if value is not None:
            _check_value(header, value, bad_input, field)
    if is_api and request.body:
        document = parse_json(request.body)
        if not isinstance(document, dict):
            raise Refused(422, "the body must be a JSON object")
        setattr(request, PARSED_JSON, document)


def _check_size(request: HttpRequest) -> None:
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Refused(400, "the Content-Length header is not a number") from None
    if size > body_limit():
        raise Refused(413, f"the request body is {size} bytes; at most {body_limit()} are "
                           "accepted")


def _check_query_value(name: str, value: str, status: int) -> None:
    """``name`` has been checked before its values (it is shown in the refusal)."""
    _check_value(name, value, status, "query_value")


def _check_value(name: str, value: str, status: int, field: str) -> None:
    try:
        rule(field).clean(value, required=False)
    except InputRefusedError as exc:
        raise Refused(status, f"{name} {exc}", field=name) from None


def parse_json(body: bytes) -> Any:
    """Strict JSON: UTF-8, no NaN or Infinity, no repeated key, bounded nesting, no lone
    surrogate in any string."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(400, f"the body is not UTF-8 (byte {exc.start})") from None
    try:
        document = json.loads(text, object_pairs_hook=_no_repeated_keys,
                              parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise Refused(400, f"the body is not valid JSON: {exc.msg} at line {exc.lineno} "
                           f"column {exc.colno}") from None
    except RecursionError:
        raise Refused(400, "the body nests too deeply") from None
    _check_strings(document, "", 0)
    return document


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise Refused(400, f"the body is not valid JSON for this API: the key "
                               f"{json.dumps(key)} is given twice", field=key)
        seen[key] = value
    return seen


def _no_constants(name: str) -> None:
    raise Refused(400, f"the body is not valid JSON: {name} is not a number in JSON")


def _check_strings(value: Any, where: str, depth: int) -> None:
    if depth > JSON_DEPTH_MAX:
        raise Refused(400, f"the body nests deeper than {JSON_DEPTH_MAX} levels")
    if isinstance(value, str):
        if _has_surrogate(value):
            raise Refused(422, f"{where or 'the body'} contains a lone UTF-16 surrogate, "
                               "which is not text", field=where)
    elif isinstance(value, dict):
        for key, item in value.items():
            if _has_surrogate(key):
                raise Refused(422, f"a key of {where or 'the body'} contains a lone UTF-16 "
                                   "surrogate, which is not text", field=where)
            _check_strings(item, f"{where}.{key}" if where else key, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, f"{where}.{index}" if where else str(index), depth + 1)


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def _answer(refusal: Refused, *, is_api: bool) -> HttpResponse:
    if is_api:
        # ensure_ascii (the default) keeps any odd character of a field name escaped.
        return JsonResponse({"detail": refusal.detail, "field": refusal.field},
                            status=refusal.status)
    title = "Request too large" if refusal.status == 413 else "Request refused"
    return HttpResponse(f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                        f"<title>{title}</title></head><body><h1>{title}</h1>"
                        f"<p>{escape(refusal.detail)}</p><p>Go back, correct it and send it "
                        f"again.</p></body></html>", status=refusal.status)
