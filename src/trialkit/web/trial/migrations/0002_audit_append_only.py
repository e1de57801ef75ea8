"""The audit trail is append-only in the database itself (PostgreSQL), and its head row exists.

On PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE on the audit table, so not even a
hand-run SQL statement can silently change history; `trialkit audit verify` catches what a
superuser might still do by disabling the trigger.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION trialkit_audit_is_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the audit trail is append-only: % refused on %', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""
TRIGGERS = """
CREATE TRIGGER trial_auditevent_no_update_delete
  BEFORE UPDATE OR DELETE ON trial_auditevent
  FOR EACH ROW EXECUTE FUNCTION trialkit_audit_is_append_only();
CREATE TRIGGER trial_auditevent_no_truncate
  BEFORE TRUNCATE ON trial_auditevent
  FOR EACH STATEMENT EXECUTE FUNCTION trialkit_audit_is_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS trial_auditevent_no_update_delete ON trial_auditevent;
DROP TRIGGER IF EXISTS trial_auditevent_no_truncate ON trial_auditevent;
DROP FUNCTION IF EXISTS trialkit_audit_is_append_only();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)  # its % are PL/pgSQL, not placeholders
        schema_editor.execute(TRIGGERS, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


def create_head(apps, schema_editor):
    apps.get_model("trial", "AuditHead").objects.get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("trial", "0001_initial")]
    operations = [
        migrations.RunPython(install, uninstall),
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
