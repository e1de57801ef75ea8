"""The randomization list keeps no seed digest, and its digest is keyed (docs/security.md,
"Randomization list secrecy").

``seed_digest`` (the SHA-256 of a seed a person chose) is dropped: it confirmed a guessed seed.
``sha256`` becomes ``digest``, an HMAC-SHA256 under a key outside the database. A list released
before keeps its plain SHA-256, marked ``sha256:`` so that it still verifies under the scheme it
was made with; audit events that carried either value are masked for blinded readers.
"""

from django.db import migrations, models
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

LEGACY_PREFIX = "sha256:"


def mark_plain_digests(apps, schema_editor):
    RandomizationList = apps.get_model("trial", "RandomizationList")
    RandomizationList.objects.exclude(digest="").update(
        digest=Concat(Value(LEGACY_PREFIX), F("digest")))


def unmark_plain_digests(apps, schema_editor):
    RandomizationList = apps.get_model("trial", "RandomizationList")
    RandomizationList.objects.filter(digest__startswith=LEGACY_PREFIX).update(
        digest=Substr("digest", len(LEGACY_PREFIX) + 1))
    # A keyed digest stays as it is: it has no plain equivalent, and code from before this
    # migration will report such a list as changed.


class Migration(migrations.Migration):

    dependencies = [
        ("trial", "0006_keyed_audit_chain"),
    ]

    operations = [
        migrations.RemoveField(model_name="randomizationlist", name="seed_digest"),
        migrations.RenameField(model_name="randomizationlist", old_name="sha256",
                               new_name="digest"),
        migrations.AlterField(model_name="randomizationlist", name="digest",
                              field=models.CharField(blank=True, max_length=80)),
        migrations.RunPython(mark_plain_digests, unmark_plain_digests),
    ]
