"""What the safety committee's closed session reads (tables by arm frozen at a data cut), and
the two-person request that precedes the study lock."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from trialkit.web.trial.models.people import Study


class DataCut(models.Model):
    """Tables by arm as of a date, frozen when prepared: what the committee reads instead of
    live counts. ``tables`` holds what is shown, small cells already withheld (the rule is in
    trialkit.core.analysis.small_cells); the counts behind a withheld row are not stored."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT)
    as_of = models.DateField()
    """Participants randomized and events begun on or before this day."""
    prepared_by = models.CharField(max_length=150)
    prepared_role = models.CharField(max_length=64)
    prepared_at = models.DateTimeField()
    threshold = models.PositiveIntegerField()
    """The smallest count shown (k)."""
    arms = models.JSONField()
    """Arm labels, in the protocol's order (the columns)."""
    tables = models.JSONField()
    """{"rows": [{"key", "label", "pooled", "counts" (one per arm; null: withheld), "parent",
    "partition"}], "undated_events": n}."""


class StudyLockRequest(models.Model):
    """One person with the lock permission asks for the study lock; a different one confirms
    it (the lock itself) or either withdraws it."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_role = models.CharField(max_length=64)
    requested_at = models.DateTimeField()
    reason = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, related_name="+")
    decided_at = models.DateTimeField(null=True)
    outcome = models.CharField(max_length=16, blank=True)
    """Blank while pending; ``locked`` or ``withdrawn``."""

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["study"], condition=models.Q(outcome=""),
            name="one_pending_study_lock_request")]
