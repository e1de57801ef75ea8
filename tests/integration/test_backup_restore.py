"""`trialkit backup OUT` and `trialkit restore IN` on the engine the suite runs on (SQLite, or
PostgreSQL through pg_dump / pg_restore), driven as an operator would: separate processes,
a deployment's own secret and audit keys, a fresh database to restore into. The restored audit
trail verifies, with its checkpoints; a wrong key, a tampered backup, a database that is not
empty and a missing pg_dump are each refused or reported clearly."""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from tests.conftest import REFERENCE_PROTOCOL

TRIALKIT = Path(sys.executable).with_name("trialkit")
def _postgres_url(name: str) -> str:
    s = connection.settings_dict
    credentials = quote(s["USER"]) + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgresql://{credentials}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def databases(tmp_path):
    """Two empty databases on the suite's engine: the source and the fresh one."""
    if connection.vendor == "sqlite":
        yield tuple(f"sqlite:///{tmp_path / name}.sqlite3" for name in ("source", "fresh"))
        return
    import psycopg

    names = [f"{connection.settings_dict['NAME']}_{part}" for part in ("source", "fresh")]
    server = _postgres_url("postgres")
    with psycopg.connect(server, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    yield tuple(_postgres_url(name) for name in names)
    with psycopg.connect(server, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sql(url: str, statement: str) -> list[tuple]:
    """One statement on a database of the test's own, outside the Django connection."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as raw:
            return raw.execute(statement).fetchall()
    import psycopg

    with psycopg.connect(url, autocommit=True) as raw:
        cursor = raw.execute(statement)
        return cursor.fetchall() if cursor.description else []


def _tables(url: str) -> set[str]:
    query = ("SELECT name FROM sqlite_master WHERE type = 'table'" if url.startswith("sqlite")
             else "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return {row[0] for row in _sql(url, query)}


@pytest.fixture
def deployment(tmp_path):
    """The environment of a deployment: its own secret key and audit key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIALKIT_", "DATABASE_"))}
    return env | {"TRIALKIT_SECRET_KEY": secrets.token_urlsafe(50),
                  "TRIALKIT_AUDIT_KEY": secrets.token_hex(32), "TRIALKIT_VAR": str(tmp_path),
                  "TRIALKIT_AUDIT_CHECKPOINTS": str(tmp_path / "checkpoints.jsonl"),
                  "TRIALKIT_ADMIN_PASSWORD": "correct horse battery staple"}


def _trialkit(env: dict, database: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trialkit.cli.main", *args],
                          env=env | {"DATABASE_URL": database}, capture_output=True, text=True,
                          timeout=300, check=False)


def test_the_trialkit_script_offers_backup_restore_and_audit():
    from trialkit.cli.main import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    assert {"backup", "restore", "audit"} <= set(commands)
    assert {"verify", "checkpoint"} <= set(
        commands["audit"]._subparsers._group_actions[0].choices)


@pytest.fixture
def backed_up(databases, deployment, tmp_path):
    """A trial set up on the source database, checkpointed and backed up."""
    source, _ = databases
    init = _trialkit(deployment, source, "web", "init", "--protocol", str(REFERENCE_PROTOCOL),
                     "--admin", "admin")
    assert init.returncode == 0, init.stderr
    checkpoint = _trialkit(deployment, source, "audit", "checkpoint")
    assert checkpoint.returncode == 0, checkpoint.stdout + checkpoint.stderr
    out = tmp_path / "trial.backup"
    backup = _trialkit(deployment, source, "backup", str(out))
    assert backup.returncode == 0, backup.stderr
    # Three events of the set-up, then the backup itself (an audited export).
    assert f"backup written: {out}" in backup.stdout and "head at event 4" in backup.stdout
    return out


def test_a_backup_restored_into_a_fresh_database_verifies_and_a_second_restore_needs_force(
        backed_up, databases, deployment):
    fresh = databases[1]
    restored = _trialkit(deployment, fresh, "restore", str(backed_up))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "audit trail intact: 4 events" in restored.stdout
    assert "checkpoints: 1 signed in" in restored.stdout and "all on the chain" in restored.stdout
    enforced = "installed and enabled" if connection.vendor == "postgresql" else "none on sqlite"
    assert enforced in restored.stdout

    refused = _trialkit(deployment, fresh, "restore", str(backed_up))
    assert refused.returncode == 2
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    _sql(fresh, "CREATE TABLE from_a_later_upgrade (id integer)")
    forced = _trialkit(deployment, fresh, "restore", "--force", str(backed_up))
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "audit trail intact: 4 events" in forced.stdout
    assert "from_a_later_upgrade" not in _tables(fresh)  # replaced, not merged

    other = deployment | {"TRIALKIT_AUDIT_KEY": secrets.token_hex(32)}
    wrong = _trialkit(other, fresh, "audit", "verify")
    assert wrong.returncode == 1
    assert "BROKEN" in wrong.stdout and "wrong key?" in wrong.stdout


def test_an_existing_backup_file_is_not_overwritten_without_force(backed_up, databases,
                                                                  deployment):
    again = _trialkit(deployment, databases[0], "backup", str(backed_up))
    assert again.returncode == 2 and "exists" in again.stderr and "--force" in again.stderr
    forced = _trialkit(deployment, databases[0], "backup", "--force", str(backed_up))
    assert forced.returncode == 0, forced.stderr


def test_a_file_that_is_no_backup_is_refused(databases, deployment,
                                                                 tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup\n")
    refused = _trialkit(deployment, databases[1], "restore", str(junk))
    assert refused.returncode == 2 and "is not a trialkit backup" in refused.stderr


@pytest.mark.sqlite
def test_a_sqlite_backup_with_a_tampered_audit_row_is_reported_after_restore(
        backed_up, databases, deployment):
    with sqlite3.connect(backed_up) as raw:
        raw.execute("UPDATE trial_auditevent SET reason = 'backdated' WHERE sequence = 2")
    restored = _trialkit(deployment, databases[1], "restore", str(backed_up))
    assert restored.returncode == 1 and "event 2: content altered" in restored.stdout


@pytest.mark.postgres
def test_without_pg_dump_on_the_path_the_backup_is_refused_with_the_reason(
        databases, deployment, tmp_path):
    init = _trialkit(deployment, databases[0], "web", "init", "--protocol",
                     str(REFERENCE_PROTOCOL))
    assert init.returncode == 0, init.stderr
    no_tools = deployment | {"PATH": str(TRIALKIT.parent)}
    refused = _trialkit(no_tools, databases[0], "backup", str(tmp_path / "x.dump"))
    assert refused.returncode == 2
    assert "pg_dump is not on PATH" in refused.stderr and "append-only" in refused.stderr
    assert not (tmp_path / "x.dump").exists()


@pytest.mark.postgres
def test_a_sqlite_backup_is_not_restored_into_postgresql(databases, deployment, tmp_path):
    lite = tmp_path / "lite.sqlite3"
    sqlite3.connect(lite).close()
    lite.write_bytes(b"SQLite format 3\x00" + bytes(100))
    refused = _trialkit(deployment, databases[1], "restore", str(lite))
    assert refused.returncode == 2 and "is a sqlite backup" in refused.stderr
