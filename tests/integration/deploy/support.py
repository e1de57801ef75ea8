"""Settings read by a fresh interpreter with a chosen environment, as a server process would
read them (the test process's own settings were fixed when pytest started)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

SECURITY_SETTINGS = [
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS",
]


def server_environment(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """This process's environment without any trialkit, Django or pytest configuration, with
    the local state in ``tmp_path``; then ``overrides``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TRIALKIT_", "DJANGO_", "PYTEST_")) and k != "DATABASE_URL"}
    return env | {"TRIALKIT_VAR": str(tmp_path)} | overrides


def deployment_environment(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """What a deployment sets at least: its own secret key and audit key."""
    keys = {"TRIALKIT_SECRET_KEY": secrets.token_urlsafe(50),
            "TRIALKIT_AUDIT_KEY": secrets.token_hex(32)}
    return server_environment(tmp_path, **(keys | overrides))


def read_settings(env: dict[str, str], names: list[str]) -> dict[str, Any]:
    """The named settings as a fresh process reads them; AssertionError with its stderr if
    the settings module refuses to load."""
    code = ("import json, sys; from trialkit.web import settings as s; "
            f"json.dump({{n: getattr(s, n, None) for n in {names!r}}}, sys.stdout, default=str)")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def settings_error(env: dict[str, str]) -> str:
    """The last line of the error with which the settings module refuses to load."""
    done = subprocess.run([sys.executable, "-c", "import trialkit.web.settings"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0, "the settings loaded"
    return done.stderr.strip().splitlines()[-1]


def production_security(tmp_path: Path, **overrides: str) -> dict[str, Any]:
    """The security settings of a deployment with this environment, ready to apply with
    pytest-django's ``settings`` fixture."""
    values = read_settings(deployment_environment(tmp_path, **overrides), SECURITY_SETTINGS)
    values["SECURE_SSL_REDIRECT"] = bool(values["SECURE_SSL_REDIRECT"])  # Django's default
    if values["SECURE_PROXY_SSL_HEADER"] is not None:
        values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values
