"""The settings refuse to run a server without its own secret key, keep the demo's key beside
its SQLite database, and give a deployment Secure cookies, HSTS and strict headers."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest

from tests.conftest import REFERENCE_PROTOCOL
from tests.integration.deploy.support import (
    SECURITY_SETTINGS,
    deployment_environment,
    read_settings,
    server_environment,
    settings_error,
)


def test_without_a_secret_key_the_settings_refuse_and_name_the_variable(tmp_path):
    error = settings_error(server_environment(tmp_path))
    assert error.startswith("django.core.exceptions.ImproperlyConfigured: TRIALKIT_SECRET_KEY "
                            "is not set")


def test_a_command_without_a_secret_key_says_so_in_a_sentence_and_changes_nothing(tmp_path):
    database = tmp_path / "trial.sqlite3"
    env = server_environment(tmp_path, DATABASE_URL=f"sqlite:///{database}",
                             TRIALKIT_ADMIN_PASSWORD="correct horse battery staple")
    done = subprocess.run(
        [sys.executable, "-m", "trialkit.cli.main", "web", "init", "--protocol",
         str(REFERENCE_PROTOCOL), "--admin", "admin"],
        env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("trialkit: TRIALKIT_SECRET_KEY is not set")
    assert "Traceback" not in done.stderr
    assert not database.exists()


def test_the_demo_keeps_a_random_key_of_its_own_beside_its_sqlite_database(tmp_path):
    names = ["SECRET_KEY", "TRIALKIT_SECRET_KEY_SOURCE", "SESSION_COOKIE_SECURE"]
    first = read_settings(server_environment(tmp_path / "a", TRIALKIT_DEMO="1"), names)
    key_file = tmp_path / "a" / "trialkit.sqlite3.demo-key"
    assert first["TRIALKIT_SECRET_KEY_SOURCE"] == "demo"
    assert first["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first["SECRET_KEY"]) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # A later process on the same database (`trialkit web serve` after `web demo`) is the demo.
    assert read_settings(server_environment(tmp_path / "a"), names) == first
    other = read_settings(server_environment(tmp_path / "b", TRIALKIT_DEMO="1"), names)
    assert other["SECRET_KEY"] != first["SECRET_KEY"]
    # The demo is plain HTTP on this machine.
    assert first["SESSION_COOKIE_SECURE"] is False


def test_a_demo_key_is_never_used_for_postgresql(tmp_path):
    read_settings(server_environment(tmp_path, TRIALKIT_DEMO="1"), ["SECRET_KEY"])
    env = server_environment(tmp_path, TRIALKIT_DEMO="1",
                             DATABASE_URL="postgresql://postgres@127.0.0.1:5432/trialkit")
    assert "TRIALKIT_SECRET_KEY is not set" in settings_error(env)


def test_a_deployment_has_secure_cookies_hsts_and_strict_headers(tmp_path):
    values = read_settings(deployment_environment(tmp_path), SECURITY_SETTINGS)
    assert values == {
        "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True, "CSRF_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax", "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        # The proxy's header is trusted only when the deployment says there is a proxy.
        "SECURE_SSL_REDIRECT": None, "SECURE_PROXY_SSL_HEADER": None,
        "SECURE_CONTENT_TYPE_NOSNIFF": True, "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY"}


def test_behind_a_tls_proxy_its_header_is_trusted_and_plain_http_redirected(tmp_path):
    values = read_settings(deployment_environment(tmp_path, TRIALKIT_BEHIND_TLS_PROXY="1"),
                           ["SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT"])
    assert values == {"SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
                      "SECURE_SSL_REDIRECT": True}


def test_hosts_and_trusted_origins_come_from_the_environment(tmp_path):
    env = deployment_environment(
        tmp_path, TRIALKIT_ALLOWED_HOSTS="trial.example.org, trial",
        TRIALKIT_CSRF_TRUSTED_ORIGINS="https://trial.example.org")
    assert read_settings(env, ["ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"]) == {
        "ALLOWED_HOSTS": ["trial.example.org", "trial"],
        "CSRF_TRUSTED_ORIGINS": ["https://trial.example.org"]}


def test_a_yes_or_no_setting_with_another_value_is_refused_by_name(tmp_path):
    error = settings_error(deployment_environment(tmp_path, TRIALKIT_HTTPS="maybe"))
    assert "TRIALKIT_HTTPS: expected 1 or 0, got 'maybe'" in error


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    """Several server workers share one SQLite file (the demo's)."""
    code = ("import django; django.setup(); from django.db import connection; "
            "c = connection.cursor(); print(c.execute('PRAGMA journal_mode').fetchone()[0], "
            "c.execute('PRAGMA busy_timeout').fetchone()[0])")
    env = deployment_environment(tmp_path, DJANGO_SETTINGS_MODULE="trialkit.web.settings",
                                 DATABASE_URL=f"sqlite:///{tmp_path / 'trial.sqlite3'}")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.split() == ["wal", "30000"], done.stderr


@pytest.mark.parametrize(("name", "value"), [
    ("TRIALKIT_SESSION_SECONDS", "30m"), ("TRIALKIT_SESSION_MAX_SECONDS", "10"),
    ("TRIALKIT_TOKEN_DAYS", "-1"), ("TRIALKIT_TOKEN_MAX_DAYS", "0"),
    ("TRIALKIT_SOURCE_FAILURES", "twenty"), ("TRIALKIT_HSTS_SECONDS", "1e6"),
    ("TRIALKIT_DB_CONN_MAX_AGE", "10.5")])
def test_a_number_setting_that_is_not_a_whole_number_is_refused_by_name(tmp_path, name, value):
    # The connection age is read for PostgreSQL only.
    env = deployment_environment(tmp_path, **{name: value},
                                 DATABASE_URL="postgresql://postgres@127.0.0.1:5432/trialkit")
    error = settings_error(env)
    assert error.startswith(f"django.core.exceptions.ImproperlyConfigured: {name}: expected a "
                            "whole number of at least"), error
    assert repr(value) in error
