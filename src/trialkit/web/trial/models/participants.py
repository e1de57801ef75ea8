"""Participants from screening to completion, their visits, doses and deviations."""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.db import models

from trialkit.core.eligibility.evaluation import Evaluation
from trialkit.web.trial.models.people import Site, Study


class Participant(models.Model):
    class Status(models.TextChoices):
        SCREENING = "screening"
        SCREEN_FAILED = "screen_failed"
        CONSENTED = "consented"
        ENROLLED = "enrolled"
        COMPLETED = "completed"
        WITHDRAWN = "withdrawn"
        LOST_TO_FOLLOW_UP = "lost_to_follow_up"
        DIED = "died"

    study = models.ForeignKey(Study, on_delete=models.PROTECT)
    site = models.ForeignKey(Site, on_delete=models.PROTECT)
    screening_number = models.CharField(max_length=32)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.SCREENING)
    part = models.CharField(max_length=64, blank=True)
    sequence_in_part = models.PositiveIntegerField(null=True)
    planned_day0 = models.DateField(null=True)
    enrolled_at = models.DateTimeField(null=True)
    consent_date = models.DateField(null=True)
    consent_form_version = models.CharField(max_length=64, blank=True)
    consent_taken_by = models.CharField(max_length=150, blank=True)
    eligibility = models.JSONField(null=True)
    """The latest screening result (verdict, per-criterion statuses) with its protocol version."""
    ended_on = models.DateField(null=True)
    end_reason = models.TextField(blank=True)
    locked_at = models.DateTimeField(null=True)
    period = models.CharField(max_length=64, blank=True)
    """The treatment period of a crossover part the participant is in (blank: a parallel part,
    or before the first period starts). Not blinded: every sequence switches at the same
    planned visit. Its history, with dates, is in ``PeriodStart``."""

    def evaluation(self) -> Evaluation | None:
        """The stored eligibility evaluation as its typed record (None: never screened)."""
        return Evaluation.from_json(self.eligibility) if self.eligibility else None

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "screening_number"],
                                    name="unique_screening_number"),
            models.UniqueConstraint(fields=["study", "part", "sequence_in_part"],
                                    condition=models.Q(sequence_in_part__isnull=False),
                                    name="unique_sequence_in_part"),
        ]


class PeriodStart(models.Model):
    """The day a participant entered a treatment period of a crossover part, and what started
    it (the period's visit or its administration)."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT,
                                    related_name="period_starts")
    period_id = models.CharField(max_length=64)
    started_on = models.DateField()
    visit_id = models.CharField(max_length=64, blank=True)
    administration_id = models.CharField(max_length=64, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.CharField(max_length=150)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["participant", "period_id"],
                                               name="one_start_per_period")]


class ScheduledVisit(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="visits")
    visit_id = models.CharField(max_length=64)
    target_date = models.DateField(null=True)
    earliest = models.DateField(null=True)
    latest = models.DateField(null=True)
    done_on = models.DateField(null=True)
    missed = models.BooleanField(default=False)
    missed_reason = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["participant", "visit_id"],
                                               name="unique_visit_per_participant")]


class Administration(models.Model):
    """A dose given. What was in it is not stored here: that is the kit's concealed content."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT,
                                    related_name="administrations")
    administration_id = models.CharField(max_length=64)
    given_at = models.DateTimeField()
    kit_code = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    override_reason = models.TextField(blank=True)
    """Why an investigator recorded this dose although a gate refused it (also a deviation)."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["participant", "administration_id"],
                                               name="one_dose_per_administration")]


class DeviationKind(StrEnum):
    """What a recorded deviation is; the stored and exported value is the code, people read
    the label."""

    VISIT_OUT_OF_WINDOW = "visit_out_of_window"
    VISIT_MISSED = "visit_missed"
    DOSE_OUT_OF_WINDOW = "dose_out_of_window"
    DOSE_AGAINST_GATE = "dose_against_gate"

    @property
    def label(self) -> str:
        return DEVIATION_LABELS[self]


DEVIATION_LABELS = {
    DeviationKind.VISIT_OUT_OF_WINDOW: "Visit outside its window",
    DeviationKind.VISIT_MISSED: "Visit missed",
    DeviationKind.DOSE_OUT_OF_WINDOW: "Dose outside its visit's window",
    DeviationKind.DOSE_AGAINST_GATE: "Dose given against an enrolment gate",
}


def deviation_kind_label(kind: str) -> str:
    """The label of a deviation kind (a kind stored by an older release, in words)."""
    try:
        return DeviationKind(kind).label
    except ValueError:
        return kind.replace("_", " ").capitalize()


class Deviation(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT,
                                    related_name="deviations")
    kind = models.CharField(max_length=64)
    """A ``DeviationKind`` value."""
    description = models.TextField()
    occurred_on = models.DateField()
    recorded_at = models.DateTimeField()
    recorded_by = models.CharField(max_length=150, blank=True)
    visit_id = models.CharField(max_length=64, blank=True)
    administration_id = models.CharField(max_length=64, blank=True)

    @property
    def kind_label(self) -> str:
        return deviation_kind_label(self.kind)
