"""`trialkit backup OUT` and `trialkit restore IN`: the whole database, audit trail included.

SQLite through its online backup API, PostgreSQL through pg_dump / pg_restore (custom
format). ``restore`` refuses a database that already has tables unless ``--force``, and
verifies the audit trail of what it restored (with the audit key, which is not in a backup).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from trialkit.cli.commands.audit import report
from trialkit.cli.django_setup import setup_django
from trialkit.cli.errors import UsageError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = subparsers.add_parser("backup", help="back up the trial database to a file")
    backup.add_argument("out", type=Path, metavar="OUT")
    backup.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    backup.set_defaults(handler=_backup)
    restore = subparsers.add_parser(
        "restore", help="restore a backup into the configured (fresh) database, then verify")
    restore.add_argument("source", type=Path, metavar="IN")
    restore.add_argument("--force", action="store_true",
                         help="replace the content of a database that is not empty")
    restore.add_argument("--checkpoints", type=Path, default=None, metavar="FILE",
                         help="checkpoint file to check the restored chain against")
    restore.set_defaults(handler=_restore)


def _say(line: str) -> None:
    print(f"  {line}", flush=True)


def _backup(args: argparse.Namespace) -> int:
    setup_django()
    from trialkit.web.backup import BackupError, backup, engine
    from trialkit.web.trial.audit_checkpoints import head

    print(f"backing up the {engine()} database to {args.out} ...", flush=True)
    _audit_the_backup(args.out, engine())
    try:
        backup(args.out, force=args.force, progress=_say)
    except BackupError as exc:
        raise UsageError(str(exc)) from None
    sequence, link = head()
    print(f"backup written: {args.out} ({args.out.stat().st_size:,} bytes); audit chain head "
          f"at event {sequence} ({link[:16]}…)")
    return 0


def _audit_the_backup(out: Path, kind: str) -> None:
    """A backup is the whole database leaving the server, allocations included: it is written
    to the audit trail as an export (by the operating-system user), before the copy is taken so
    that the copy holds its own record. A database not yet set up has no trail and no data."""
    import getpass

    from django.db import connection

    from trialkit.web.trial.models import AuditEvent, Participant
    from trialkit.web.trial.read_audit import audited_export

    if AuditEvent._meta.db_table not in connection.introspection.table_names():
        return
    audited_export(None, "database backup", rows=Participant.objects.count(), file_format=kind,
                   who=f"{getpass.getuser()} (command line)", to=str(out))


def _restore(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from trialkit.web.backup import BackupError, engine, restore

    if args.checkpoints is not None and not args.checkpoints.is_file():
        raise UsageError(f"--checkpoints: {args.checkpoints}: no such file")
    print(f"restoring {args.source} into the {engine()} database ...", flush=True)
    try:
        restore(args.source, force=args.force, progress=_say)
    except BackupError as exc:
        raise UsageError(str(exc)) from None
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        # An older trialkit's backup: the same migrations `web serve` would apply on start.
        print(f"restored; applying {len(pending)} migration(s) of this trialkit version ...")
        call_command("migrate", verbosity=0, interactive=False)
    print("restored; verifying the audit trail:")
    return report(args.checkpoints)
