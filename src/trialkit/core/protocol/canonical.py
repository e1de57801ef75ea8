"""The canonical form of a protocol and its version: the SHA-256 of that form.

Two files that say the same thing (key order, comments, quoting, flow or block style) have
the same canonical form, so the version changes only when the protocol's meaning does.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from trialkit.core.protocol.model import Protocol


def canonical_data(protocol: Protocol) -> dict[str, Any]:
    """Plain JSON data with every default filled in, so omitting a default is not a change."""
    data: dict[str, Any] = protocol.model_dump(mode="json")
    return data


def canonical_json(protocol: Protocol) -> str:
    return json.dumps(canonical_data(protocol), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False)


def protocol_version(protocol: Protocol) -> str:
    """Hex SHA-256 of the canonical JSON: the version stamped on every record."""
    return hashlib.sha256(canonical_json(protocol).encode("utf-8")).hexdigest()


def from_canonical_json(text: str) -> Protocol:
    return Protocol.model_validate_json(text)


def json_schema() -> dict[str, Any]:
    """JSON Schema of the protocol file format, for editors and external validators."""
    schema = Protocol.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://trialkit.dev/schema/trialkit-protocol-1.json"
    return schema
