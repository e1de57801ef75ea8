"""Backing up and restoring the whole trial database, audit trail included, row for row.

SQLite goes through its online backup API (a consistent copy while the server runs);
PostgreSQL through pg_dump in the custom format and pg_restore with psql, which keep the audit
table's append-only triggers and its rows exactly. A JSON dump through Django would lose the
triggers and re-create rows through the ORM, so it is not offered. The audit key is not in a backup:
it lives outside the database, and the restored chain verifies only with it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

Progress = Callable[[str], None]
SQLITE_HEADER = b"SQLite format 3\x00"
PG_CUSTOM_HEADER = b"PGDMP"
PAGES_PER_STEP = 1024


class BackupError(Exception):
    """A backup or restore that cannot be done as asked; nothing was changed."""


def engine() -> str:
    return connection.vendor


def existing_tables() -> list[str]:
    """The tables already in the configured database (a fresh one has none)."""
    connection.ensure_connection()
    return sorted(connection.introspection.table_names())


def backup(out: Path, *, force: bool, progress: Progress) -> None:
    """Write the configured database to ``out`` (refusing to overwrite unless ``force``)."""
    if out.exists() and not force:
        raise BackupError(f"{out} exists; choose another file or add --force to overwrite it")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")  # never a half-written file under OUT
    partial.unlink(missing_ok=True)
    try:
        if engine() == "sqlite":
            _sqlite_backup(partial, progress)
        elif engine() == "postgresql":
            _pg_dump(partial, progress)
        else:
            raise BackupError(f"no backup for a {engine()} database")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(out)


def restore(source: Path, *, force: bool, progress: Progress) -> None:
    """Replace the configured database's content with the backup ``source``; a database
    that already has tables is refused unless ``force``."""
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    with source.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    kind = ("sqlite" if header == SQLITE_HEADER else
            "postgresql" if header.startswith(PG_CUSTOM_HEADER) else None)
    if kind is None:
        raise BackupError(f"{source} is not a trialkit backup (neither a SQLite database nor "
                          "a pg_dump custom-format file)")
    if kind != engine():
        raise BackupError(f"{source} is a {kind} backup but DATABASE_URL names a {engine()} "
                          f"database: restore it into a {kind} database")
    tables = existing_tables()
    if tables and not force:
        raise BackupError(f"the database {_name()} is not empty ({len(tables)} tables): "
                          "restore into a fresh database, or add --force to replace its "
                          "content with the backup")
    if kind == "sqlite":
        _sqlite_restore(source, progress)
    else:
        _pg_restore(source, replace=bool(tables), progress=progress)
    connection.close()  # the next query sees the restored database


def _name() -> str:
    return str(settings.DATABASES["default"]["NAME"])


def _step_reporter(progress: Progress, verb: str) -> Callable[[int, int, int], None]:
    def report(status: int, remaining: int, total: int) -> None:
        progress(f"{verb} {total - remaining} of {total} pages")
    return report


def _sqlite_backup(partial: Path, progress: Progress) -> None:
    connection.ensure_connection()
    target = sqlite3.connect(partial)
    try:
        connection.connection.backup(target, pages=PAGES_PER_STEP,
                                     progress=_step_reporter(progress, "copied"))
        # One self-contained file: no write-ahead log expected beside it.
        target.execute("PRAGMA journal_mode=DELETE")
        (ok,) = target.execute("PRAGMA integrity_check").fetchone()
    finally:
        target.close()
    if ok != "ok":
        raise BackupError(f"the copy failed SQLite's integrity check: {ok}")


def _sqlite_restore(source: Path, progress: Progress) -> None:
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        (ok,) = backup_db.execute("PRAGMA integrity_check").fetchone()
        if ok != "ok":
            raise BackupError(f"{source} failed SQLite's integrity check: {ok}")
        names = {row[0] for row in backup_db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"django_migrations", "trial_auditevent"} <= names:
            raise BackupError(f"{source} is a SQLite database but not a trialkit one (no "
                              "audit table)")
        connection.ensure_connection()
        backup_db.backup(connection.connection, pages=PAGES_PER_STEP,
                         progress=_step_reporter(progress, "restored"))
    finally:
        backup_db.close()


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(
            f"{name} is not on PATH: install the PostgreSQL client tools (the server's major "
            "version or newer; Debian: apt-get install postgresql-client). A JSON dump "
            "through Django is not offered: it would drop the audit table's append-only "
            "triggers and re-create its rows through the application.")
    return tool


def _pg_environment() -> dict[str, str]:
    """Connection details for the tools by environment, so no password is on a command
    line that `ps` shows."""
    database = settings.DATABASES["default"]
    given = {"PGHOST": database.get("HOST"), "PGPORT": database.get("PORT"),
             "PGUSER": database.get("USER"), "PGPASSWORD": database.get("PASSWORD"),
             "PGDATABASE": database.get("NAME")}
    return {**os.environ, **{k: str(v) for k, v in given.items() if v}}


def _run(command: list[str], progress: Progress, wanted: tuple[str, ...]) -> None:
    """Run a client tool with ``--verbose``, passing on the lines that show progress."""
    process = subprocess.Popen(command, env=_pg_environment(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    said = []
    for line in process.stderr:
        said.append(line.rstrip())
        if any(mark in line for mark in wanted):
            progress(line.split(": ", 1)[-1].strip())
    if process.wait() != 0:
        errors = [line for line in said if "error" in line.lower()] or said[-5:]
        raise BackupError(f"{Path(command[0]).name} failed (exit {process.returncode}):\n  "
                          + "\n  ".join(errors))


def _pg_dump(partial: Path, progress: Progress) -> None:
    tool = _pg_tool("pg_dump")
    _run([tool, "--format=custom", "--verbose", f"--file={partial}"], progress,
         ("dumping contents of table",))


def _pg_restore(source: Path, *, replace: bool, progress: Progress) -> None:
    """pg_restore writes the backup as SQL and psql runs it in one transaction, after dropping
    what is there when replacing: a failure leaves the database as it was, and a replaced
    database keeps no table the backup does not have (a rollback after an upgrade must not
    keep the upgrade's tables)."""
    pg_restore, psql = _pg_tool("pg_restore"), _pg_tool("psql")
    # Ownership and grants become the restoring user's: the source's roles may not exist here.
    dump = subprocess.Popen([pg_restore, "--no-owner", "--no-privileges", "--file=-",
                             str(source)], env=_pg_environment(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    run = subprocess.Popen([psql, "--no-psqlrc", "--quiet", "--single-transaction",
                            "--set=ON_ERROR_STOP=1", f"--dbname={_name()}"],
                           env=_pg_environment(), stdin=subprocess.PIPE,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert dump.stdout is not None and run.stdin is not None
    try:
        if replace:
            run.stdin.write(_drop_everything().encode("utf-8"))
        for line in dump.stdout:
            if line.startswith(b"COPY "):
                progress(f"restoring table {line.split()[1].decode('utf-8', 'replace')}")
            run.stdin.write(line)
        run.stdin.close()
    except BrokenPipeError:  # psql stopped at an error; its message says which
        pass
    failures = [(name, process) for name, process in (("pg_restore", dump), ("psql", run))
                if process.wait() != 0]
    if failures:
        said = [f"{name}: {line}" for name, process in failures
                for line in _stderr(process).splitlines() if line.strip()]
        raise BackupError("the restore failed and nothing was changed:\n  "
                          + "\n  ".join(said[-8:]))


def _stderr(process: subprocess.Popen[bytes]) -> str:
    return process.stderr.read().decode("utf-8", "replace") if process.stderr else ""


def _drop_everything() -> str:
    """SQL dropping the tables and functions of the application's schema (the append-only
    trigger's function included), run inside the restore's transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT format('DROP TABLE IF EXISTS %I.%I CASCADE;', table_schema, "
                       "table_name) FROM information_schema.tables WHERE table_schema = "
                       "current_schema() AND table_type = 'BASE TABLE'")
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT format('DROP FUNCTION IF EXISTS %I.%I(%s) CASCADE;', n.nspname, "
                       "p.proname, pg_get_function_identity_arguments(p.oid)) FROM pg_proc p "
                       "JOIN pg_namespace n ON n.oid = p.pronamespace "
                       "WHERE n.nspname = current_schema()")
        functions = [row[0] for row in cursor.fetchall()]
    connection.close()  # psql needs no competing session holding locks on these tables
    return "\n".join([*tables, *functions, ""])
