"""Account safeguards (docs/security.md, "Accounts and sign-in"): two locks on a profile (a
sign-in pause for unrecognised browsers, a full lock after wrong re-entered passwords), forced
password change, TOTP enrolment and one-time recovery codes, expiring tokens with their
issuer, two-person grants of unblinded roles, per-source sign-in throttling, and the token an
audited actor used."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("trial", "0007_keyed_list_digest"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField("profile", "sign_in_paused_until", models.DateTimeField(null=True)),
        migrations.AddField("profile", "failed_reentries",
                            models.PositiveIntegerField(default=0)),
        migrations.AddField("profile", "must_change_password",
                            models.BooleanField(default=False)),
        migrations.AddField("profile", "totp_secret",
                            models.CharField(blank=True, default="", max_length=64)),
        migrations.AddField("profile", "totp_confirmed_at", models.DateTimeField(null=True)),
        migrations.AddField("profile", "totp_last_step", models.BigIntegerField(default=0)),
        migrations.AddField("apitoken", "expires_at", models.DateTimeField(null=True)),
        migrations.AddField("apitoken", "issued_by",
                            models.CharField(blank=True, default="", max_length=150)),
        migrations.AddField("auditevent", "via_token",
                            models.JSONField(default=None, null=True)),
        migrations.CreateModel(
            name="SignInSource",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("address", models.CharField(max_length=64, unique=True)),
                ("failures", models.PositiveIntegerField(default=0)),
                ("last_failure_at", models.DateTimeField()),
                ("blocked_until", models.DateTimeField(null=True)),
            ],
        ),
        migrations.CreateModel(
            name="RecoveryCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("digest", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField()),
                ("used_at", models.DateTimeField(null=True)),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                           related_name="recovery_codes",
                                           to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name="RoleRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("role", models.CharField(max_length=64)),
                ("requested_by", models.CharField(max_length=150)),
                ("requested_at", models.DateTimeField()),
                ("status", models.CharField(choices=[("pending", "Pending"),
                                                     ("approved", "Approved"),
                                                     ("refused", "Refused")],
                                            default="pending", max_length=16)),
                ("decided_by", models.CharField(blank=True, default="", max_length=150)),
                ("decided_at", models.DateTimeField(null=True)),
                ("site", models.ForeignKey(null=True,
                                           on_delete=django.db.models.deletion.PROTECT,
                                           to="trial.site")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                           related_name="role_requests",
                                           to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
