"""Second-factor seeds sealed with a key outside the database (trialkit/web/trial/sealed.py).

Seeds stored in clear before this migration are sealed in place; the purpose and owner are
those two_factor.py opens them with. Sealing cannot be undone by a migration (the clear seeds
are what a leak would expose), so the reverse leaves them sealed in the wider column.
"""

from django.db import migrations, models


def seal_clear_secrets(apps, schema_editor):
    from trialkit.web.trial.sealed import is_sealed, seal

    Profile = apps.get_model("trial", "Profile")
    for profile in Profile.objects.exclude(totp_secret=""):
        if not is_sealed(profile.totp_secret):
            profile.totp_secret = seal(profile.totp_secret, purpose="totp-secret",
                                       owner=f"user:{profile.user_id}")
            profile.save(update_fields=["totp_secret"])


class Migration(migrations.Migration):

    dependencies = [
        ("trial", "0015_ae_coding"),
    ]

    operations = [
        migrations.AlterField(
            model_name="profile",
            name="totp_secret",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.RunPython(seal_clear_secrets, migrations.RunPython.noop),
    ]
