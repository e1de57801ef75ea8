"""Concealed allocation: the list, its slots, kit preparations, and emergency unblinding.

Nothing here may be read outside ``trialkit.web.trial.access``: arm and kit content are the
facts blinding protects.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from trialkit.web.trial.models.participants import Participant
from trialkit.web.trial.models.people import Study


class RandomizationList(models.Model):
    study = models.ForeignKey(Study, on_delete=models.PROTECT)
    part = models.CharField(max_length=64)
    method = models.CharField(max_length=32)
    digest = models.CharField(max_length=80, blank=True)
    """HMAC-SHA256 of the list's canonical text under a key outside the database
    (``trialkit.web.trial.list_digest``), recorded when it goes live (blank before). No seed is
    stored: the server draws it and the rows are the record."""
    generated_by = models.CharField(max_length=150)
    generated_at = models.DateTimeField()
    live_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["study", "part"],
                                               name="one_list_per_part")]


class RandomizationSlot(models.Model):
    randomization_list = models.ForeignKey(RandomizationList, on_delete=models.PROTECT,
                                           related_name="slots")
    stratum = models.CharField(max_length=200)
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=32, unique=True)
    block = models.PositiveIntegerField(default=0)
    block_size = models.PositiveIntegerField(default=0)
    """Permuted blocks only; 0 for a minimisation slot (its arm is chosen on allocation)."""
    arm = models.CharField(max_length=64, blank=True)
    """The arm allocated (a parallel part); blank for a crossover part, whose participants
    receive one arm per period."""
    treatment_sequence = models.CharField(max_length=64, blank=True)
    """The sequence of arms allocated (a crossover part); blank for a parallel part. Not the
    slot's position, which is ``sequence``."""
    kit_code = models.CharField(max_length=64, unique=True)
    draw_seed = models.BigIntegerField(null=True)
    """Minimisation: seeds the allocation's random draw, so the decision can be re-derived."""
    levels = models.JSONField(null=True)
    """The participant's stratification levels at allocation."""
    decision = models.JSONField(null=True)
    """Minimisation: scores, probabilities and draw (concealed: it names arms)."""
    participant = models.OneToOneField(Participant, null=True, on_delete=models.PROTECT,
                                       related_name="slot")
    allocated_at = models.DateTimeField(null=True)

    @property
    def allocation_unit(self) -> str:
        """What the slot allocates: its treatment sequence (crossover), else its arm."""
        return self.treatment_sequence or self.arm

    class Meta:
        constraints = [models.UniqueConstraint(fields=["randomization_list", "stratum", "sequence"],
                                               name="unique_slot_position")]
        indexes = [models.Index(fields=["randomization_list", "stratum", "participant"])]


class Unblinding(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    reason = models.TextField()
    at = models.DateTimeField()


class KitPreparation(models.Model):
    """The preparing role's confirmation that a kit is ready for one administration.

    What was prepared is not stored: it follows from the kit's arm, which is concealed.
    """

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT,
                                    related_name="preparations")
    administration_id = models.CharField(max_length=64)
    kit_code = models.CharField(max_length=64)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    prepared_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["participant", "administration_id"],
                                               name="one_preparation_per_administration")]
