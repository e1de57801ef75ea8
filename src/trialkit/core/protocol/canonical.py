"""The canonical form of a protocol and its version: the SHA-256 of that form.

Two files that say the same thing (key order, comments, quoting, flow or block style, a
default spelled out or left out) have the same canonical form, so the version changes only
when the protocol's meaning does.

The canonical form holds only values that differ from the model's defaults. A later release of
trialkit that adds an optional field with a default therefore leaves every existing
protocol's version unchanged, and records stamped with it stay current (docs/adr/0007). The
price: a field's default is part of the file format's meaning and never changes within a
format version; changing one is a new format version with an upgrade.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from trialkit.core.protocol.model import Protocol


def canonical_data(protocol: Protocol) -> dict[str, Any]:
    """Plain JSON data of every value that differs from its default."""
    data: dict[str, Any] = protocol.model_dump(mode="json", exclude_defaults=True)
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
    schema["$id"] = "https://trialkit.dev/schema/trialkit-protocol-2.json"
    return schema
