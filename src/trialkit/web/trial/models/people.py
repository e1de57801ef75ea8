"""The study, its sites, users' roles at sites, and sign-in safeguards."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Study(models.Model):
    """A protocol version the server runs. Amendments add rows; records keep their version."""

    protocol_id = models.CharField(max_length=64)
    protocol_version = models.CharField(max_length=64, unique=True)
    protocol_text = models.TextField()
    loaded_at = models.DateTimeField()
    is_current = models.BooleanField(default=True)
    locked_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["protocol_id"], condition=models.Q(is_current=True),
            name="one_current_version_per_protocol")]


class Site(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=100)
    status = models.CharField(max_length=32)
    time_zone = models.CharField(max_length=64, default="UTC")
    """The protocol's IANA zone for the site: its people enter and read times in it."""


class Membership(models.Model):
    """A user holds a protocol role, at one site or (site = null) at every site."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="memberships")
    role = models.CharField(max_length=64)
    site = models.ForeignKey(Site, null=True, on_delete=models.PROTECT)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role", "site"],
                                               name="unique_membership")]


class Profile(models.Model):
    """A person's sign-in safeguards (docs/security.md, "Accounts and sign-in").

    Two locks, so that strangers cannot lock a person out: ``sign_in_paused_until`` follows
    failed sign-ins from browsers the person never signed in from, and refuses only those;
    ``locked_until`` follows wrong passwords re-entered by someone already signed in as the
    person, and refuses everything (sign-in, re-entry, API tokens).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="profile")
    printed_name = models.CharField(max_length=200)
    failed_sign_ins = models.PositiveIntegerField(default=0)
    """Failed sign-ins from unrecognised browsers since the last success."""
    sign_in_paused_until = models.DateTimeField(null=True)
    failed_reentries = models.PositiveIntegerField(default=0)
    """Wrong passwords re-entered to sign, unblind, decide or approve."""
    locked_until = models.DateTimeField(null=True)
    must_change_password = models.BooleanField(default=False)
    """Set by an administrator's password reset: the temporary password only opens the page
    that changes it."""
    totp_secret = models.CharField(max_length=200, blank=True, default="")
    """The base32 TOTP secret (RFC 6238) sealed with a key outside the database (sealed.py,
    read through two_factor.stored_totp_secret); empty until enrolment starts."""
    totp_confirmed_at = models.DateTimeField(null=True)
    """When a first code proved the authenticator holds the secret; until then the secret is
    only a proposal."""
    totp_last_step = models.BigIntegerField(default=0)
    """The last time step whose code was accepted: a code is never accepted twice."""


class ApiToken(models.Model):
    """A token for systems. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    role = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True)
    expires_at = models.DateTimeField(null=True)
    """Null only for tokens issued before tokens expired."""
    issued_by = models.CharField(max_length=150, blank=True, default="")
    """Who issued it (since tokens are issued only by their owner, the owner)."""
