"""Safety committee decisions, serious-event reporting clocks and notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from trialkit.web.trial.models.forms import FormRecord
from trialkit.web.trial.models.people import Study


class SafetyDecision(models.Model):
    """An e-signed committee decision (proceed, pause, ...); the gate reads the signed ones."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT)
    gate_index = models.PositiveIntegerField(default=0)
    decision = models.CharField(max_length=64)
    rationale = models.TextField()
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    signer_role = models.CharField(max_length=64)
    printed_name = models.CharField(max_length=200)
    meaning = models.CharField(max_length=200)
    signed_at = models.DateTimeField()


class SeriousEventClock(models.Model):
    """The 24-hour reporting clock of a serious adverse event."""

    record = models.OneToOneField(FormRecord, on_delete=models.PROTECT, related_name="sae_clock")
    aware_at = models.DateTimeField()
    deadline = models.DateTimeField()
    reported_at = models.DateTimeField(null=True)
    reported_by = models.CharField(max_length=150, blank=True)


class Notification(models.Model):
    recipient_role = models.CharField(max_length=64)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True)
