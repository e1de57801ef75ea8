"""Appending to and verifying the hash-chained audit trail.

Each event's hash is SHA-256(previous hash ‖ canonical JSON of the event). Changing, inserting
or deleting any stored event breaks the chain from that point, and ``verify_chain`` says where.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from trialkit import __version__
from trialkit.web.trial.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def jsonable(value: Any) -> Any:
    """The JSON form stored and hashed; dates and decimals become strings."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def _payload(event: AuditEvent) -> str:
    fields = {
        "sequence": event.sequence, "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor, "actor_role": event.actor_role, "action": event.action,
        "object_type": event.object_type, "object_id": event.object_id, "old": event.old,
        "new": event.new, "reason": event.reason, "protocol_version": event.protocol_version,
        "code_version": event.code_version,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _hash(previous: str, event: AuditEvent) -> str:
    return hashlib.sha256((previous + _payload(event)).encode("utf-8")).hexdigest()


def append_event(*, actor: str, actor_role: str, action: str, object_type: str,
                 object_id: str | int, old: Any = None, new: Any = None, reason: str = "",
                 protocol_version: str = "") -> AuditEvent:
    """Append one event; must run inside the action's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events are appended inside the action's transaction")
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
    now = timezone.now().astimezone(dt.UTC)
    event = AuditEvent(
        sequence=head.sequence + 1, occurred_at=now, actor=actor, actor_role=actor_role,
        action=action, object_type=object_type, object_id=str(object_id), old=jsonable(old),
        new=jsonable(new), reason=reason, protocol_version=protocol_version,
        code_version=__version__, previous_hash=head.hash)
    event.hash = _hash(head.hash, event)
    event.save(force_insert=True)
    AuditHead.objects.filter(id=1).update(sequence=event.sequence, hash=event.hash)
    return event


@dataclass(frozen=True)
class ChainProblem:
    sequence: int
    problem: str


def verify_chain() -> list[ChainProblem]:
    """Every way the stored chain differs from an untouched one; empty = intact."""
    problems: list[ChainProblem] = []
    previous, expected_sequence = GENESIS, 1
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        if event.sequence != expected_sequence:
            problems.append(ChainProblem(expected_sequence, f"events {expected_sequence}–"
                                         f"{event.sequence - 1} are missing (deleted)"))
        if event.previous_hash != previous:
            problems.append(ChainProblem(event.sequence, "does not follow the previous event "
                                         "(an event was inserted, deleted or re-linked)"))
        if _hash(event.previous_hash, event) != event.hash:
            problems.append(ChainProblem(event.sequence, f"content altered ({event.action} on "
                                         f"{event.object_type} {event.object_id})"))
        previous, expected_sequence = event.hash, event.sequence + 1
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.sequence, head.hash) != (expected_sequence - 1, previous):
        problems.append(ChainProblem(head.sequence, "the chain ends before its recorded head "
                                     "(events at the end were deleted)"))
    return problems


def is_append_only_enforced() -> bool:
    """Whether the database itself refuses UPDATE and DELETE on the audit table."""
    return connection.vendor == "postgresql"
