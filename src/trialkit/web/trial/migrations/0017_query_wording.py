"""An automatic query keeps what opened it: the protocol's edit check by id, or trialkit's own
sentence as a template and values, so that a page reads it in the reader's language while
``text`` keeps it in the protocol's (ADR 0023). Queries opened before keep neither and read as
their text."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("trial", "0016_sealed_totp_secret"),
    ]

    operations = [
        migrations.AddField(
            model_name="query",
            name="check_id",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="query",
            name="wording",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
