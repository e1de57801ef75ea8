"""Reading a registry record: an API v2 JSON study, or a classic XML one (told apart by content)."""

from __future__ import annotations

import json
from typing import Any

from trialkit.interop.ctgov.errors import RecordError
from trialkit.interop.ctgov.import_xml import study_from_xml
from trialkit.interop.ctgov.schema import study_errors

_SHOWN_ERRORS = 5


def read_record(text: str) -> dict[str, Any]:
    """The API v2 study in ``text``, whichever of the two formats it is written in."""
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith("{"):
        return study_from_json(body)
    if body.startswith("<"):
        return study_from_xml(body)
    if not body:
        raise RecordError("the record is empty")
    raise RecordError("not a registry record: expected API v2 JSON (starting with '{') "
                      "or classic XML (starting with '<')")


def study_from_json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RecordError("not a study record: the JSON is not an object")
    if "studies" in data and "protocolSection" not in data:
        count = len(data["studies"]) if isinstance(data["studies"], list) else "several"
        raise RecordError(f"this is a search result with {count} studies; "
                          "import one study object (with 'protocolSection') at a time")
    if "protocolSection" not in data:
        raise RecordError("not a study record: the JSON has no 'protocolSection'")
    errors = study_errors(data)
    if errors:
        shown = "\n  ".join(errors[:_SHOWN_ERRORS])
        more = f"\n  ... and {len(errors) - _SHOWN_ERRORS} more" if len(errors) > _SHOWN_ERRORS \
            else ""
        raise RecordError(f"the record breaks the registry's Study schema:\n  {shown}{more}")
    return data
