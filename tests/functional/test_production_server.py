"""`trialkit web serve` is a production server: gunicorn with two workers on a temporary SQLite
database, reached as nginx would reach it (X-Forwarded-Proto: https), a real sign-in through
the login form (as a coordinator the administrator added), a read through the API with the
session, static files with far-future caching, and a clean stop on SIGTERM.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from tests.integration.deploy.support import deployment_environment

PASSWORD = "correct horse battery staple"
ADD_COORDINATOR = """
from django.contrib.auth.models import User
from trialkit.web.trial.actions.accounts import do_create_user, do_grant_role
from trialkit.web.trial.actions.base import actor_for
admin = actor_for(User.objects.get(username="admin"), "{admin}")
user = do_create_user("coordinator", "{password}", "Casey Coordinator", actor=admin)
do_grant_role(user, "{role}", "{site}", actor=admin)
"""
HTTPS = {"X-Forwarded-Proto": "https"}  # what the TLS proxy in front adds


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Browser:
    """Requests to one server with the cookies it set, as a browser behind the proxy."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        for header in response.msg.get_all("Set-Cookie") or []:
            self.set_cookie_headers.append(header)
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        answer = (response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        connection.close()
        return answer


def _wait_until_up(server: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            Browser(port).request("GET", "/login/", headers=HTTPS)
            return
        except OSError:
            if server.poll() is not None:
                raise AssertionError(server.stderr.read().decode() if server.stderr else "") \
                    from None
            time.sleep(0.3)
    raise AssertionError("the server did not start within 120 s")


def _eventually(holds, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while not holds():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.slow
def test_gunicorn_serves_a_sign_in_and_a_read_with_two_workers_and_stops_cleanly(trial,
                                                                                 tmp_path):
    database = tmp_path / "trial.sqlite3"
    env = deployment_environment(tmp_path, DATABASE_URL=f"sqlite:///{database}",
                                 TRIALKIT_BEHIND_TLS_PROXY="1", TRIALKIT_ADMIN_PASSWORD=PASSWORD)
    cli = [sys.executable, "-m", "trialkit.cli.main", "web"]
    init = subprocess.run([*cli, "init", "--protocol", str(trial.path), "--admin", "admin"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert init.returncode == 0, init.stderr
    # The administrator signs in with a second factor; the coordinator they add does not.
    added = subprocess.run([*cli, "manage", "shell", "-c", ADD_COORDINATOR.format(
        admin=trial.administrator, role=trial.screener, site=trial.site, password=PASSWORD)],
        env=env, capture_output=True, text=True, timeout=300)
    assert added.returncode == 0, added.stderr
    port = _free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _wait_until_up(server, port)
        # The first worker answers while the second may still be booting on a loaded machine.
        assert _eventually(lambda: len(_children(server.pid)) == 2), "two worker processes"
        browser = Browser(port)

        # Plain HTTP that did not come through the proxy is sent to HTTPS.
        status, headers, _ = browser.request("GET", "/login/")
        assert status == 301 and headers["location"] == f"https://127.0.0.1:{port}/login/"

        status, headers, page = browser.request("GET", "/login/", headers=HTTPS)
        assert status == 200 and "strict-transport-security" in headers
        assert "content-security-policy" in headers
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        stylesheet = re.search(rb'href="(/static/[^"]+\.css)"', page)
        assert stylesheet is not None

        form = (f"csrfmiddlewaretoken={token.group(1).decode()}&username=coordinator&"
                f"password={PASSWORD.replace(' ', '+')}")
        status, headers, _ = browser.request(
            "POST", "/login/", body=form,
            headers={**HTTPS, "Content-Type": "application/x-www-form-urlencoded",
                     "Origin": f"https://127.0.0.1:{port}"})
        assert status == 302, "signed in"
        session_cookie = next(h for h in browser.set_cookie_headers if h.startswith("sessionid="))
        assert {"Secure", "HttpOnly", "SameSite=Lax"} <= {
            part.strip() for part in session_cookie.split(";")}

        # Several requests, so that both workers are likely to answer with the same session.
        for _ in range(6):
            status, _, body = browser.request("GET", "/api/session", headers=HTTPS)
            assert status == 200, body
            assert json.loads(body)["username"] == "coordinator"

        status, headers, css = browser.request("GET", stylesheet.group(1).decode(),
                                               headers=HTTPS)
        assert status == 200 and css
        assert "immutable" in headers["cache-control"]

        status, _, docs = browser.request("GET", "/api/docs", headers=HTTPS)
        assert status == 200 and b"swagger-ui-bundle" in docs and b"https://" not in docs
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            returncode = server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            raise
        server.stdout.close()
        server.stderr.close()
    assert returncode == 0
    with pytest.raises(ProcessLookupError):  # no worker outlived the master
        os.killpg(server.pid, 0)
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
