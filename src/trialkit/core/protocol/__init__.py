"""Protocol-as-code: the typed, immutable protocol model, its loading, checks and version."""

from trialkit.core.protocol.canonical import (
    canonical_json,
    from_canonical_json,
    json_schema,
    protocol_version,
)
from trialkit.core.protocol.loading import load_protocol, parse_protocol, validate_protocol
from trialkit.core.protocol.model import Protocol
from trialkit.core.protocol.problems import Problem, ProtocolError

__all__ = [
    "Problem", "Protocol", "ProtocolError", "canonical_json", "from_canonical_json",
    "json_schema", "load_protocol", "parse_protocol", "protocol_version", "validate_protocol",
]
