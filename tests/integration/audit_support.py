"""What an attacker with write access to the database does to the audit trail, written out
independently of trialkit's code (the algorithms are public): raw SQL as the owner, the chain
recomputed with the old unkeyed algorithm or under some key."""

from __future__ import annotations

import hashlib
import hmac
import json

from django.db import connection

from trialkit.web.trial.models import AuditEvent, FormVersion

GENESIS = "0" * 64


def json_param() -> str:
    return "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"


def as_owner(*statements: tuple[str, tuple]) -> None:
    """Raw SQL as the database's owner would run it (switching PostgreSQL's append-only
    triggers off for the duration, as an owner can)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE trial_auditevent DISABLE TRIGGER USER")
        for sql, params in statements:
            cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE trial_auditevent ENABLE TRIGGER USER")


def downgrade(version: FormVersion, item: str, mild: object) -> None:
    """Rewrite the stored form version and the audit event of its save to a milder value."""
    data = {**version.data, item: mild}
    event = AuditEvent.objects.get(action="save_form", object_id=str(version.pk))
    new = {**event.new, "items": {**event.new["items"], item: mild}}
    as_owner((f"UPDATE trial_formversion SET data = {json_param()} WHERE id = %s",
              (json.dumps(data), version.pk)),
             (f"UPDATE trial_auditevent SET new = {json_param()} WHERE sequence = %s",
              (json.dumps(new), event.sequence)))


def unkeyed_payload(event: AuditEvent) -> str:
    """The canonical JSON the unkeyed chain hashed, as its published code computed it."""
    fields = {
        "sequence": event.sequence, "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor, "actor_role": event.actor_role, "action": event.action,
        "object_type": event.object_type, "object_id": event.object_id, "old": event.old,
        "new": event.new, "reason": event.reason, "protocol_version": event.protocol_version,
        "code_version": event.code_version,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _write_links(links: list[tuple[int, str, str, str | None]], *, head: bool = True) -> None:
    statements = []
    for sequence, previous, link, key_id in links:
        label = "" if key_id is None else ", key_id = %s"
        params = (previous, link, *(() if key_id is None else (key_id,)), sequence)
        statements.append((f"UPDATE trial_auditevent SET previous_hash = %s, hash = %s{label} "
                           "WHERE sequence = %s", params))
    if links and head:
        statements.append(("UPDATE trial_audithead SET hash = %s WHERE id = 1", (links[-1][2],)))
    as_owner(*statements)


def rehash_unkeyed(*, unlabel: bool, up_to: int | None = None) -> None:
    """Recompute the links with SHA-256(previous ‖ payload), as the old ``trialkit audit
    verify`` expected them (events up to ``up_to`` only, when given); ``unlabel`` also
    blanks the key ids so that the events pass for ones written before the chain was keyed."""
    previous, links = GENESIS, []
    events = AuditEvent.objects.order_by("sequence")
    for event in events if up_to is None else events.filter(sequence__lte=up_to):
        link = hashlib.sha256((previous + unkeyed_payload(event)).encode("utf-8")).hexdigest()
        links.append((event.sequence, previous, link, "" if unlabel else None))
        previous = link
    _write_links(links, head=up_to is None)


def rehash_with_key(secret: bytes, label: str | None = None) -> None:
    """Recompute every link as the keyed scheme would under ``secret``, the events labelled
    ``label`` (their own key id when None)."""
    previous, links = GENESIS, []
    for event in AuditEvent.objects.order_by("sequence"):
        key_id = event.key_id if label is None else label
        payload = json.loads(unkeyed_payload(event)) | {"key_id": key_id}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        link = hmac.new(secret, (previous + text).encode("utf-8"), hashlib.sha256).hexdigest()
        links.append((event.sequence, previous, link, key_id))
        previous = link
    _write_links(links)
