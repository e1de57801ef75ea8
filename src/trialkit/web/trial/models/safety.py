"""Safety committee decisions, serious-event reporting clocks and notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from trialkit.web.trial.models.closed_session import DataCut
from trialkit.web.trial.models.forms import FormRecord
from trialkit.web.trial.models.people import Site, Study


class SmcReport(models.Model):
    """A safety report produced for a committee gate (trialkit.reports.smc), kept as produced:
    the chair's decision names the report it was made on by its SHA-256, and these bytes are
    what that hash identifies. A closed-session report names the data cut it shows."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT)
    gate_index = models.PositiveIntegerField()
    session = models.CharField(max_length=16)
    """open (pooled) or closed (with a data cut's tables by arm)."""
    as_of = models.DateField()
    data_cut = models.ForeignKey(DataCut, on_delete=models.PROTECT, null=True)
    data_sha256 = models.CharField(max_length=64)
    pdf_sha256 = models.CharField(max_length=64, db_index=True)
    html_sha256 = models.CharField(max_length=64, db_index=True)
    pdf = models.BinaryField()
    html = models.BinaryField()
    produced_by = models.CharField(max_length=150)
    produced_role = models.CharField(max_length=64)
    produced_at = models.DateTimeField()


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
    report = models.ForeignKey(SmcReport, on_delete=models.PROTECT, null=True,
                               related_name="decisions")
    report_sha256 = models.CharField(max_length=64, blank=True, default="")
    """The SHA-256 of the report (its PDF or HTML) the decision was made on."""


class SeriousEventClock(models.Model):
    """The 24-hour reporting clock of a serious adverse event."""

    record = models.OneToOneField(FormRecord, on_delete=models.PROTECT, related_name="sae_clock")
    aware_at = models.DateTimeField()
    deadline = models.DateTimeField()
    reported_at = models.DateTimeField(null=True)
    reported_by = models.CharField(max_length=150, blank=True)


class SeriousEventReport(models.Model):
    """A report of a serious event sent outside the site: the initial one (which stops the
    clock) and each follow-up, with when it was sent, to whom, and their reference."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial report"
        FOLLOW_UP = "follow_up", "Follow-up report"

    clock = models.ForeignKey(SeriousEventClock, on_delete=models.PROTECT,
                              related_name="reports")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    sent_at = models.DateTimeField()
    recipient = models.CharField(max_length=200)
    """Who received it: the sponsor's safety desk, the ethics committee, the regulator."""
    reference = models.CharField(max_length=100, blank=True)
    """The recipient's case number or the message's reference, when there is one."""
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField()


class Notification(models.Model):
    recipient_role = models.CharField(max_length=64)
    site = models.ForeignKey(Site, null=True, on_delete=models.PROTECT)
    """The site the event happened at: only people of the role at that site (or study-wide)
    read it. None: a study-wide event (a committee decision)."""
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True)
