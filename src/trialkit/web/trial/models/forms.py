"""Case report forms: append-only versions, signatures bound to a version, data queries,
source data verification."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from trialkit.web.trial.models.participants import Participant


class FormRecord(models.Model):
    """One form instance for a participant (at a visit; repeating forms have several)."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="forms")
    visit_id = models.CharField(max_length=64, blank=True)
    form_id = models.CharField(max_length=64)
    repeat_index = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    latest_version = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["participant", "visit_id", "form_id", "repeat_index"],
            name="unique_form_instance")]


class FormVersion(models.Model):
    """The data of a form as saved once. A change is a new version, never an update."""

    record = models.ForeignKey(FormRecord, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    data = models.JSONField()
    saved_by = models.CharField(max_length=150)
    saved_role = models.CharField(max_length=64)
    saved_at = models.DateTimeField()
    reason = models.TextField(blank=True)
    protocol_version = models.CharField(max_length=64)
    findings = models.JSONField(default=list)
    """Soft edit-check results of this version: item, message, whether it opened a query."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "number"],
                                               name="unique_version_number")]
        ordering = ["record_id", "number"]


class Signature(models.Model):
    """An e-signature of one version; it stands only while that version is the latest."""

    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="signatures")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    signer_role = models.CharField(max_length=64)
    printed_name = models.CharField(max_length=200)
    meaning = models.CharField(max_length=200)
    signed_at = models.DateTimeField()


class Query(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        ANSWERED = "answered"
        CLOSED = "closed"

    record = models.ForeignKey(FormRecord, on_delete=models.PROTECT, related_name="queries")
    item_id = models.CharField(max_length=64, blank=True)
    text = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    automatic = models.BooleanField(default=False)
    """Opened by an edit check rather than by a person."""
    check_id = models.CharField(max_length=64, blank=True, default="")
    """The protocol's edit check that opened it, by id: a page reads its message in the
    reader's language from the protocol's translation ("" when opened otherwise)."""
    wording = models.JSONField(null=True, blank=True)
    """Trialkit's own edit-check sentence as a template and values (``core.wording``), read in
    the reader's language; ``text`` keeps it in the protocol's."""
    raised_on_version = models.PositiveIntegerField(null=True)
    """The form version the query was raised on (None: raised before any version)."""
    raised_by = models.CharField(max_length=150)
    raised_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="assigned_queries")
    """The person the query waits for (None: nobody in particular); set by ``assign_query``."""
    assigned_at = models.DateTimeField(null=True, blank=True)

    @property
    def participant(self) -> Participant:
        """The participant the query is about (the subject of actions on it)."""
        return self.record.participant


class QueryMessage(models.Model):
    query = models.ForeignKey(Query, on_delete=models.PROTECT, related_name="messages")
    author = models.CharField(max_length=150)
    author_role = models.CharField(max_length=64)
    text = models.TextField()
    written_at = models.DateTimeField()


class SourceVerification(models.Model):
    """A monitor's verification of one item of a form against the source documents, as the item
    stood in one version. Rows are only added: the item's standing verification is its latest
    row, and it lapses ("changed since verified") when a later version changes the item's
    value."""

    class Status(models.TextChoices):
        VERIFIED = "verified", "verified"
        DISCREPANCY = "discrepancy", "discrepancy found"

    record = models.ForeignKey(FormRecord, on_delete=models.PROTECT,
                               related_name="verifications")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT,
                                related_name="verifications")
    """The version the item was compared in (the record's latest at the time)."""
    item_id = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices)
    note = models.TextField(blank=True)
    """What differs from the source (a discrepancy's note)."""
    query = models.ForeignKey(Query, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="verifications")
    """The query a discrepancy raised."""
    verified_by = models.CharField(max_length=150)
    verified_role = models.CharField(max_length=64)
    verified_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["record", "item_id"], name="verification_item")]
        ordering = ["record_id", "item_id", "verified_at", "pk"]
