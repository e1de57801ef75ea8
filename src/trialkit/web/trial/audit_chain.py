"""How one audit event is linked to the one before it (no model imports: the migration that
keys an existing chain uses the same functions on its historical models).

Two schemes, told apart by the event's ``key_id``:

- unkeyed (``key_id`` empty), the chain's first scheme: SHA-256(previous ‖ canonical JSON).
  Anyone can recompute it, so it only holds where a keyed event follows and vouches for it.
- keyed: HMAC-SHA256 under the audit key of (previous ‖ canonical JSON with the key id).
  Without the key nobody can make a link that verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Protocol

GENESIS = "0" * 64
SEAL_ACTION = "key_audit_chain"
"""The event that switches an existing chain from unkeyed to keyed links (migration 0006)."""


class LinkedEvent(Protocol):
    sequence: int
    occurred_at: Any
    actor: str
    actor_role: str
    action: str
    object_type: str
    object_id: str
    old: Any
    new: Any
    reason: str
    protocol_version: str
    code_version: str
    key_id: str


def canonical_json(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _fields(event: LinkedEvent) -> dict[str, Any]:
    return {
        "sequence": event.sequence, "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor, "actor_role": event.actor_role, "action": event.action,
        "object_type": event.object_type, "object_id": event.object_id, "old": event.old,
        "new": event.new, "reason": event.reason, "protocol_version": event.protocol_version,
        "code_version": event.code_version,
    }


def unkeyed_link(previous: str, event: LinkedEvent) -> str:
    """The first scheme's link, unchanged, so events written before keying still verify."""
    payload = canonical_json(_fields(event))
    return hashlib.sha256((previous + payload).encode("utf-8")).hexdigest()


def keyed_link(secret: bytes, previous: str, event: LinkedEvent) -> str:
    # The key id is inside the MAC: relabelling an event with another key's id breaks it.
    fields = {**_fields(event), "key_id": event.key_id}
    # The token an actor used is covered only when there is one, so every link made before
    # events could carry it (and every event without one) verifies unchanged.
    via_token = getattr(event, "via_token", None)
    if via_token:
        fields["via_token"] = via_token
    payload = canonical_json(fields)
    return hmac.new(secret, (previous + payload).encode("utf-8"), hashlib.sha256).hexdigest()


def signature(secret: bytes, fields: dict[str, Any]) -> str:
    """A checkpoint's signature: HMAC-SHA256 of its canonical JSON."""
    return hmac.new(secret, canonical_json(fields).encode("utf-8"), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
