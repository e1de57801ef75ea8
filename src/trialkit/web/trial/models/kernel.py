"""What the action kernel keeps for itself."""

from __future__ import annotations

from django.db import models


class IdempotencyKey(models.Model):
    """A create made once per key: a retried or doubled request returns the first result.

    Keys are per person and per action, so two people cannot collide or probe each other's
    keys. ``fingerprint`` is a digest of the request's arguments: the same key with different
    arguments is refused rather than silently answered with another request's result.
    """

    key = models.CharField(max_length=128)
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    result_type = models.CharField(max_length=100, blank=True)
    result_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["actor", "action", "key"],
                                               name="one_result_per_idempotency_key")]
