"""Data cuts (the committee's tables by arm frozen at a date) and the two-person study lock
request (docs/adr/0014-committee-tables-at-data-cuts.md, docs/security.md)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("trial", "0008_account_safeguards"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DataCut",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("as_of", models.DateField()),
                ("prepared_by", models.CharField(max_length=150)),
                ("prepared_role", models.CharField(max_length=64)),
                ("prepared_at", models.DateTimeField()),
                ("threshold", models.PositiveIntegerField()),
                ("arms", models.JSONField()),
                ("tables", models.JSONField()),
                ("study", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                            to="trial.study")),
            ],
        ),
        migrations.CreateModel(
            name="StudyLockRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("requested_role", models.CharField(max_length=64)),
                ("requested_at", models.DateTimeField()),
                ("reason", models.TextField()),
                ("decided_at", models.DateTimeField(null=True)),
                ("outcome", models.CharField(blank=True, max_length=16)),
                ("decided_by", models.ForeignKey(
                    null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                    to=settings.AUTH_USER_MODEL)),
                ("requested_by", models.ForeignKey(
                    on_delete=django.db.models.deletion.PROTECT, related_name="+",
                    to=settings.AUTH_USER_MODEL)),
                ("study", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                            to="trial.study")),
            ],
            options={
                "constraints": [models.UniqueConstraint(
                    condition=models.Q(("outcome", "")), fields=("study",),
                    name="one_pending_study_lock_request")],
            },
        ),
    ]
