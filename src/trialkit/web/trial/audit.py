"""Appending to and verifying the keyed audit chain (docs/audit-trail.md).

Each event's link is HMAC-SHA256, under the audit key held outside the database, of the
previous link and the event's canonical JSON (trialkit.web.trial.audit_chain). Changing,
inserting or deleting a stored event breaks the chain from that point; recomputing the chain
needs the key, so someone who can only write to the database cannot hide a change.
``verify_chain`` says where and how the chain breaks.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from trialkit import __version__
from trialkit.web.trial import clock
from trialkit.web.trial.audit_chain import GENESIS, keyed_link, same, unkeyed_link
from trialkit.web.trial.audit_keys import AuditKey
from trialkit.web.trial.audit_triggers import is_append_only_enforced
from trialkit.web.trial.models import AuditEvent, AuditHead, Study

__all__ = ["GENESIS", "ChainProblem", "PendingEvent", "append_event", "append_events",
           "audit_keys", "current_key", "is_append_only_enforced", "jsonable", "verify_chain"]


def jsonable(value: Any) -> Any:
    """The JSON form stored and hashed; dates and decimals become strings."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def audit_keys() -> tuple[AuditKey, ...]:
    """The configured keys, current first (read on each use, so settings overrides apply)."""
    keys: tuple[AuditKey, ...] = settings.TRIALKIT_AUDIT_KEYS
    return keys


def current_key() -> AuditKey:
    return audit_keys()[0]


@dataclass(frozen=True)
class PendingEvent:
    """An event an action has recorded and the kernel appends at the end of its transaction
    (actions/kernel.py). ``protocol_version`` None: the version current when it is appended."""

    actor: str
    actor_role: str
    action: str
    object_type: str
    object_id: str
    old: Any = None
    new: Any = None
    reason: str = ""
    protocol_version: str | None = ""
    via_token: dict[str, Any] | None = None


def append_event(*, actor: str, actor_role: str, action: str, object_type: str,
                 object_id: str | int, old: Any = None, new: Any = None, reason: str = "",
                 protocol_version: str = "", via_token: dict[str, Any] | None = None,
                 ) -> AuditEvent:
    """Append one event; must run inside the action's transaction. ``via_token`` names the
    API token the actor used, if any (id, label, issuer)."""
    return append_events([PendingEvent(
        actor=actor, actor_role=actor_role, action=action, object_type=object_type,
        object_id=str(object_id), old=old, new=new, reason=reason,
        protocol_version=protocol_version, via_token=via_token)])[0]


def append_events(pending: Sequence[PendingEvent]) -> list[AuditEvent]:
    """Append events in order, under one lock of the chain's head, in one INSERT; must run
    inside the transaction that made the changes they record.

    The head row lock serialises every writer until its commit, so it is taken here, as late
    as the transaction allows: a caller appends just before committing (the kernel does).
    The time stamped is read under the lock, so times never go backwards along the chain.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events are appended inside the action's transaction")
    if not pending:
        return []
    key = current_key()
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
    now = clock.now().astimezone(dt.UTC)
    current_version = _current_version() if any(
        p.protocol_version is None for p in pending) else ""
    events: list[AuditEvent] = []
    previous, sequence = head.hash, head.sequence
    for p in pending:
        sequence += 1
        event = AuditEvent(
            sequence=sequence, occurred_at=now, actor=p.actor, actor_role=p.actor_role,
            action=p.action, object_type=p.object_type, object_id=p.object_id,
            old=jsonable(p.old), new=jsonable(p.new), reason=p.reason,
            protocol_version=current_version if p.protocol_version is None
            else p.protocol_version,
            code_version=__version__, previous_hash=previous, key_id=key.key_id,
            via_token=jsonable(p.via_token) if p.via_token else None)
        event.hash = keyed_link(key.secret, previous, event)
        previous = event.hash
        events.append(event)
    AuditEvent.objects.bulk_create(events)
    AuditHead.objects.filter(id=1).update(sequence=sequence, hash=previous)
    return events


def _current_version() -> str:
    """The current protocol version (empty before the first load), read under the head lock:
    every event after an amendment's ``load_protocol`` event carries the new version."""
    version = Study.objects.filter(is_current=True).values_list(
        "protocol_version", flat=True).first()
    return version or ""


@dataclass(frozen=True)
class ChainProblem:
    sequence: int
    problem: str
    kind: str = "chain"
    """missing, relinked, altered, unkeyed, unknown_key, truncated or checkpoint."""


class _Walk:
    """One pass over the events in sequence order, collecting what differs from an untouched
    chain. Unknown key ids are gathered and reported once each, after the pass."""

    def __init__(self, keys: Sequence[AuditKey]) -> None:
        self.keys = {key.key_id: key for key in keys}
        self.problems: list[ChainProblem] = []
        self.previous, self.expected = GENESIS, 1
        self.unkeyed_last: int | None = None
        self.keyed_from: int | None = None
        self.unknown: dict[str, list[int]] = {}

    def step(self, event: AuditEvent) -> None:
        if event.sequence != self.expected:
            self._add(self.expected, "missing", f"events {self.expected}–{event.sequence - 1} "
                      "are missing (deleted)")
        if event.previous_hash != self.previous:
            self._add(event.sequence, "relinked", "does not follow the previous event (an "
                      "event was inserted, deleted or re-linked)")
        if event.key_id:
            self._keyed(event)
        else:
            self._unkeyed(event)
        self.previous, self.expected = event.hash, event.sequence + 1

    def _unkeyed(self, event: AuditEvent) -> None:
        if self.keyed_from is not None:
            self._add(event.sequence, "unkeyed", "linked without the key after the chain was "
                      f"keyed at event {self.keyed_from} (re-linked by someone without the key)")
        elif not same(unkeyed_link(event.previous_hash, event), event.hash):
            self._add(event.sequence, "altered", f"content altered ({self._what(event)})")
        self.unkeyed_last = event.sequence

    def _keyed(self, event: AuditEvent) -> None:
        if self.keyed_from is None:
            self.keyed_from = event.sequence
        key = self.keys.get(event.key_id)
        if key is None:
            self.unknown.setdefault(event.key_id, []).append(event.sequence)
        elif not same(keyed_link(key.secret, event.previous_hash, event), event.hash):
            self._add(event.sequence, "altered", f"content altered ({self._what(event)}; its "
                      f"link does not verify under key {key.key_id})")

    def finish(self, head: AuditHead | None) -> list[ChainProblem]:
        for key_id, sequences in self.unknown.items():
            self._add(sequences[0], "unknown_key", _unknown_key(key_id, sequences, self.keys))
        if self.unkeyed_last is not None and self.keyed_from is None:
            self._add(self.unkeyed_last, "unkeyed", f"events 1–{self.unkeyed_last} are linked "
                      "without the key and no keyed event vouches for them: the chain may "
                      "have been recomputed with the unkeyed algorithm")
        if head is not None and (head.sequence, head.hash) != (self.expected - 1,
                                                               self.previous):
            self._add(head.sequence, "truncated", "the chain ends before its recorded head "
                      "(events at the end were deleted)")
        return sorted(self.problems, key=lambda p: p.sequence)

    def _add(self, sequence: int, kind: str, text: str) -> None:
        self.problems.append(ChainProblem(sequence, text, kind))

    @staticmethod
    def _what(event: AuditEvent) -> str:
        return f"{event.action} on {event.object_type} {event.object_id}".rstrip()


def _unknown_key(key_id: str, sequences: list[int], keys: dict[str, AuditKey]) -> str:
    span = (f"event {sequences[0]}" if len(sequences) == 1 else
            f"{len(sequences)} events from {sequences[0]} to {sequences[-1]}")
    return (f"{span} linked with key {key_id}, which is not configured (configured: "
            f"{', '.join(keys)}): wrong key? verify with the key the chain was written with "
            "(TRIALKIT_AUDIT_KEY or TRIALKIT_AUDIT_KEY_FILE, retired keys after the current "
            "one); otherwise these events were forged. Their content was not checked.")


def verify_chain(keys: Sequence[AuditKey] | None = None) -> list[ChainProblem]:
    """Every way the stored chain differs from an untouched one; empty = intact."""
    walk = _Walk(audit_keys() if keys is None else keys)
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        walk.step(event)
    return walk.finish(AuditHead.objects.filter(id=1).first())


@dataclass(frozen=True)
class ChainSummary:
    events: int
    keyed_from: int | None
    """The first keyed event; events before it have unkeyed links that it vouches for."""
    key_ids: tuple[str, ...]
    keyed: int
    """How many events carry a key id."""


def chain_summary() -> ChainSummary:
    keyed = AuditEvent.objects.exclude(key_id="")
    first_keyed = keyed.order_by("sequence").values_list("sequence", flat=True).first()
    key_ids = sorted(set(keyed.values_list("key_id", flat=True).distinct()))
    return ChainSummary(AuditEvent.objects.count(), first_keyed, tuple(key_ids), keyed.count())
