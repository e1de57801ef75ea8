"""The audit chain is keyed (docs/adr/0012-keyed-audit-chain.md).

Every event gets the id of the key its link was made with (empty for the unkeyed links written
before). A database that already has events gets one keyed event appended, the seal: its
link covers the hash of the last unkeyed event, so from now on nobody without the key can
rewrite those earlier events either. Existing rows are never updated (the table is
append-only); the unkeyed links keep verifying under their own scheme.

Irreversible on purpose: going back would un-key the chain, the very downgrade it prevents.
"""

import datetime as dt

from django.conf import settings
from django.db import migrations, models

from trialkit import __version__
from trialkit.web.trial.audit_chain import SEAL_ACTION, keyed_link


def seal_unkeyed_chain(apps, schema_editor):
    AuditEvent = apps.get_model("trial", "AuditEvent")
    AuditHead = apps.get_model("trial", "AuditHead")
    head, _ = AuditHead.objects.get_or_create(id=1)
    last = AuditEvent.objects.order_by("-sequence").first()
    if last is None or last.key_id:
        return  # an empty chain is keyed from its first event; a keyed one needs nothing
    key = settings.TRIALKIT_AUDIT_KEYS[0]
    event = AuditEvent(
        sequence=head.sequence + 1, occurred_at=dt.datetime.now(dt.UTC), actor="trialkit",
        actor_role="system", action=SEAL_ACTION, object_type="AuditChain", object_id="",
        old={"scheme": "sha256", "events": AuditEvent.objects.count(),
             "last_sequence": head.sequence, "last_hash": head.hash},
        new={"scheme": "hmac-sha256", "key_id": key.key_id},
        reason="the audit chain is keyed from this event on; it vouches for the unkeyed "
               "events before it",
        protocol_version=last.protocol_version, code_version=__version__,
        previous_hash=head.hash, key_id=key.key_id)
    event.hash = keyed_link(key.secret, head.hash, event)
    event.save(force_insert=True)
    AuditHead.objects.filter(id=1).update(sequence=event.sequence, hash=event.hash)


class Migration(migrations.Migration):
    dependencies = [("trial", "0005_idempotency_keys")]
    operations = [
        migrations.AddField(
            model_name="auditevent", name="key_id",
            field=models.CharField(blank=True, default="", max_length=32)),
        migrations.RunPython(seal_unkeyed_chain, reverse_code=None),
    ]
