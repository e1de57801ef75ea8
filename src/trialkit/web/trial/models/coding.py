"""The medical dictionary the sponsor loads, and adverse events coded to it.

A dictionary version is kept as one row per lowest level term with its preferred term and the
PT's primary path (HLT, HLGT, SOC) beside it: everything a coding, an SDTM AE row or a safety
table reads, in one row. Codings are only added: an event's standing coding is its latest row,
and it is stale when a later version of the form changed the verbatim term it coded.
"""

from __future__ import annotations

from django.db import models

from trialkit.web.trial.models.forms import FormRecord, FormVersion
from trialkit.web.trial.models.participants import Participant


class DictionaryVersion(models.Model):
    """One loaded release (e.g. MedDRA 27.0); the latest loaded is the one coders use."""

    name = models.CharField(max_length=32, default="meddra")
    version = models.CharField(max_length=64)
    loaded_at = models.DateTimeField()
    loaded_by = models.CharField(max_length=150)
    is_current = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "version"],
                                               name="unique_dictionary_version")]


class DictionaryTerm(models.Model):
    """A lowest level term of one dictionary version and where it sits."""

    dictionary = models.ForeignKey(DictionaryVersion, on_delete=models.PROTECT,
                                   related_name="terms")
    llt_code = models.CharField(max_length=16)
    llt_name = models.CharField(max_length=200)
    normalised = models.CharField(max_length=200, db_index=True)
    """The name as verbatim terms are compared with it (``trialkit.core.coding.normalise``)."""
    current = models.BooleanField()
    pt_code = models.CharField(max_length=16)
    pt_name = models.CharField(max_length=200)
    hlt_code = models.CharField(max_length=16)
    hlt_name = models.CharField(max_length=200)
    hlgt_code = models.CharField(max_length=16)
    hlgt_name = models.CharField(max_length=200)
    soc_code = models.CharField(max_length=16)
    soc_name = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dictionary", "llt_code"],
                                               name="unique_dictionary_llt")]


class AdverseEventCoding(models.Model):
    """An adverse event's verbatim term, as one form version held it, coded to a term."""

    record = models.ForeignKey(FormRecord, on_delete=models.PROTECT, related_name="codings")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="codings")
    """The form version whose verbatim term was coded (the record's latest at the time)."""
    verbatim = models.TextField()
    term = models.ForeignKey(DictionaryTerm, on_delete=models.PROTECT, related_name="codings")
    automatic = models.BooleanField(default=False)
    """Chosen by the exact-match autocoder (an audited act of the person who ran it)."""
    coded_by = models.CharField(max_length=150)
    coded_role = models.CharField(max_length=64)
    coded_at = models.DateTimeField()

    class Meta:
        ordering = ["record_id", "coded_at", "pk"]

    @property
    def participant(self) -> Participant:
        """The participant the event is about (the subject of actions on it)."""
        return self.record.participant
