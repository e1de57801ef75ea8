"""Where the audit key comes from: the environment or a key file (current key first, retired
ones after), never the database; a deployment without one refuses to start, and only the
tests and the demo get the public development key, whose id says what it is."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from trialkit.web.trial.audit_keys import (
    DEVELOPMENT_SECRET,
    KEY_FILE_VARIABLE,
    KEY_VARIABLE,
    AuditKey,
    audit_keys_from,
)

GOOD = "0123456789abcdef" * 4


def test_the_key_comes_from_the_environment():
    [key] = audit_keys_from({KEY_VARIABLE: GOOD}, development=False)
    assert key.secret == GOOD.encode() and not key.development
    assert key.key_id.startswith("k-") and GOOD not in key.key_id


def test_a_key_file_holds_the_current_key_first_and_retired_ones_after(tmp_path):
    retired = "f" * 40
    path = tmp_path / "audit.key"
    path.write_text(f"# rotated 2026-12-01\n{GOOD}\n\n{retired}\n")
    keys = audit_keys_from({KEY_FILE_VARIABLE: str(path)}, development=False)
    assert [k.secret for k in keys] == [GOOD.encode(), retired.encode()]


def test_a_deployment_without_a_key_refuses_to_start_and_says_how_to_make_one():
    with pytest.raises(ImproperlyConfigured, match=f"set {KEY_VARIABLE} or {KEY_FILE_VARIABLE}"):
        audit_keys_from({}, development=False)


def test_development_gets_the_public_key_marked_in_its_id():
    [key] = audit_keys_from({}, development=True)
    assert key.development and key.secret == DEVELOPMENT_SECRET
    assert key.key_id.startswith("dev-")


def test_a_configured_key_wins_over_the_development_fallback():
    [key] = audit_keys_from({KEY_VARIABLE: GOOD}, development=True)
    assert not key.development


@pytest.mark.parametrize(("environ", "message"), [
    ({KEY_VARIABLE: "short"}, "is 5 characters; it needs at least 32"),
    ({KEY_VARIABLE: GOOD, KEY_FILE_VARIABLE: "/x"}, "not both"),
    ({KEY_FILE_VARIABLE: "/nonexistent/audit.key"}, "cannot read /nonexistent/audit.key"),
])
def test_a_bad_key_setting_is_refused_naming_the_variable(environ, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        audit_keys_from(environ, development=True)


def test_an_empty_key_file_or_a_short_line_in_it_is_refused(tmp_path):
    path = tmp_path / "audit.key"
    path.write_text("# nothing yet\n")
    with pytest.raises(ImproperlyConfigured, match="holds no key"):
        audit_keys_from({KEY_FILE_VARIABLE: str(path)}, development=False)
    path.write_text(f"{GOOD}\nshort\n")
    with pytest.raises(ImproperlyConfigured, match="line 2 of"):
        audit_keys_from({KEY_FILE_VARIABLE: str(path)}, development=False)


def test_the_key_id_names_the_key_without_showing_it():
    assert AuditKey(GOOD.encode()).key_id == AuditKey(GOOD.encode()).key_id
    assert AuditKey(GOOD.encode()).key_id != AuditKey(b"1" * 40).key_id
    assert GOOD not in repr(AuditKey(GOOD.encode()))  # logs and tracebacks never show it


def test_a_server_with_its_own_secret_key_but_no_audit_key_does_not_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIALKIT_", "DATABASE_"))}
    env |= {"TRIALKIT_SECRET_KEY": "s" * 60, "TRIALKIT_VAR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "trialkit.web.settings"}
    started = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env,
                             capture_output=True, text=True, timeout=120, check=False)
    assert started.returncode != 0
    assert f"no audit key: set {KEY_VARIABLE} or {KEY_FILE_VARIABLE}" in started.stderr
    assert not (tmp_path / "db.sqlite3").exists()
