"""Account safeguards beyond the profile: two-person role grants, recovery codes, sign-in
throttling by source."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from trialkit.web.trial.models.people import Site


class RoleRequest(models.Model):
    """A grant of an unblinded role waiting for a second administrator's approval."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REFUSED = "refused"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="role_requests")
    role = models.CharField(max_length=64)
    site = models.ForeignKey(Site, null=True, on_delete=models.PROTECT)
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.CharField(max_length=150, blank=True, default="")
    decided_at = models.DateTimeField(null=True)


class RecoveryCode(models.Model):
    """A one-time code that stands in for the authenticator; only its SHA-256 is stored (the
    codes are random enough that a slow hash adds nothing)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="recovery_codes")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True)


class SignInSource(models.Model):
    """Failed sign-ins from one client address, for backing it off."""

    address = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    blocked_until = models.DateTimeField(null=True)
