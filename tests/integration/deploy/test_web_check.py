"""`trialkit web check` lists everything that keeps a server from going live and exits 1; on a
deployment's configuration it passes."""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection

from tests.integration.deploy.support import deployment_environment, production_security
from trialkit.cli.main import main


def _findings(output: str) -> dict[str, str]:
    """{name: 'ok' or 'FAIL'} from the command's list."""
    rows = [line.split(None, 1) for line in output.splitlines() if line.startswith("  ")]
    return {rest.split("  ")[0].strip(): status for status, rest in rows}


def test_the_check_lists_every_problem_of_a_bad_configuration(study, settings, tmp_path,
                                                             capsys):
    settings.DEBUG = True  # with the test suite's own key and plain-HTTP cookies
    settings.STATIC_ROOT = tmp_path / "static"  # nothing collected there
    assert main(["web", "check"]) == 1
    out = capsys.readouterr().out
    found = _findings(out)
    assert found["secret key"] == "FAIL" and "TRIALKIT_SECRET_KEY is not set" in out
    assert found["debug"] == "FAIL" and "TRIALKIT_DEBUG is on" in out
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert found[f"Django {check}"] == "FAIL"
    assert found["database"] == "ok" and found["migrations"] == "ok"
    # SQLite has no append-only triggers; PostgreSQL gets them from the migrations.
    assert found["audit trail"] == ("ok" if connection.vendor == "postgresql" else "FAIL")
    assert found["static files"] == "FAIL" and "collectstatic" in out
    assert "problem(s): not ready to go live" in out


def test_a_weak_key_and_out_of_date_static_files_are_reported(study, settings, tmp_path,
                                                             capsys):
    settings.TRIALKIT_SECRET_KEY_SOURCE = "environment"
    settings.SECRET_KEY = "short-key"
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", interactive=False, verbosity=0)
    collected = next((tmp_path / "static" / "pages").glob("*.css"))
    collected.write_text(collected.read_text() + "\n/* an older release */\n")
    assert main(["web", "check"]) == 1
    out = capsys.readouterr().out
    assert "TRIALKIT_SECRET_KEY is weak: 9 characters, fewer than 50" in out
    assert "1 out of date (e.g. pages/" in out


def test_an_unreachable_database_is_reported_not_a_traceback(tmp_path):
    env = deployment_environment(tmp_path,
                                 DATABASE_URL="postgresql://nobody@127.0.0.1:9/trialkit")
    done = subprocess.run([sys.executable, "-m", "trialkit.cli.main", "web", "check"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert _findings(done.stdout)["database"] == "FAIL"
    assert "cannot connect (postgresql)" in done.stdout and "Traceback" not in done.stderr


@pytest.mark.postgres
def test_a_deployment_on_postgresql_behind_a_tls_proxy_passes(study, settings, tmp_path,
                                                             capsys):
    for name, value in production_security(tmp_path, TRIALKIT_BEHIND_TLS_PROXY="1").items():
        setattr(settings, name, value)
    settings.TRIALKIT_SECRET_KEY_SOURCE = "environment"
    settings.SECRET_KEY = secrets.token_urlsafe(50)
    if hasattr(settings, "TRIALKIT_AUDIT_KEYS"):
        from trialkit.web.trial.audit_keys import audit_keys_from

        settings.TRIALKIT_AUDIT_KEYS = audit_keys_from(
            {"TRIALKIT_AUDIT_KEY": secrets.token_hex(32)}, development=False)
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", interactive=False, verbosity=0)
    assert main(["web", "check"]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "FAIL" not in out and "ready to go live" in out
    assert _findings(out)["audit trail"] == "ok"
