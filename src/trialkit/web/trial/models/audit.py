"""The audit trail: append-only, chained by keyed links, free of foreign keys so it outlives its
subjects (the linking is in trialkit.web.trial.audit_chain)."""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    """One action, as it happened. Never updated or deleted (a PostgreSQL trigger enforces it)."""

    sequence = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    actor_role = models.CharField(max_length=64)
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    old = models.JSONField(null=True)
    new = models.JSONField(null=True)
    reason = models.TextField(blank=True)
    protocol_version = models.CharField(max_length=64, blank=True)
    code_version = models.CharField(max_length=64)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(max_length=32, blank=True, default="")
    """The audit key the link was made with; empty for events linked before the chain was
    keyed (they are vouched for by the keyed event that follows them)."""
    via_token = models.JSONField(null=True, default=None)
    """The API token the actor used (id, label, who issued it); null for a person's own
    session. Inside the event's keyed link whenever set (audit_chain.keyed_link)."""

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["object_type", "object_id"])]


class AuditHead(models.Model):
    """Single row holding the chain's last sequence and hash; locked while appending.

    Serialises appends on PostgreSQL (SELECT ... FOR UPDATE); SQLite serialises writers anyway.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
