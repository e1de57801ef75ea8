"""A server killed mid-stream (SIGKILL) loses no write it had acknowledged.

The server runs as a real process on PostgreSQL; a client registers candidates as fast as it
can, the server is killed without warning, and every candidate whose registration was answered
201 must be in the database, with an intact audit chain.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from trialkit.web.trial.audit import verify_chain
from trialkit.web.trial.models import AuditEvent, Participant


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_server(port: int, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": _database_url(), "TRIALKIT_VAR": str(tmp_path)}
    # Standard error to a file: a pipe nobody reads would block a chatty server once full.
    errors = tmp_path / "server.err"
    # A session of its own: the gunicorn master and its workers are killed together.
    with errors.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "trialkit.cli.main", "web", "serve", "--host", "127.0.0.1",
             "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=sink,
            start_new_session=True)
    # Generous: on a loaded two-core machine the start (migrations checked, static files
    # collected, every view imported before the fork) can take a while; the test is about
    # what a kill loses, not how fast a start is.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/openapi.json", timeout=10)
            return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if server.poll() is not None:
                raise AssertionError(errors.read_text()) from None
            time.sleep(0.3)
    server.kill()
    raise AssertionError(f"the server did not start within 180 s: {errors.read_text()[-2000:]}")


def _register(port: int, token: str, number: str, site: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/participants", method="POST",
        data=json.dumps({"screening_number": number, "site": site}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_killed_server_loses_no_acknowledged_write(flushable_audit, trial, token_for,
                                                     tmp_path):
    token = token_for(trial.screener)
    port = _free_port()
    server = _start_server(port, tmp_path)
    acknowledged: list[str] = []
    failures: list[str] = []
    stop = threading.Event()

    def client() -> None:
        for i in range(1, 10_000):
            if stop.is_set():
                return
            number = f"K-{i:04d}"
            try:
                if _register(port, token, number, trial.site) == 201:
                    acknowledged.append(number)
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
                failures.append(f"{number}: {exc}")
                return

    sender = threading.Thread(target=client)
    sender.start()
    while len(acknowledged) < 25 and sender.is_alive():
        time.sleep(0.05)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=30)
    stop.set()
    sender.join(timeout=30)

    assert len(acknowledged) >= 25, failures
    assert failures, "the client should have seen the server die mid-stream"
    stored = set(Participant.objects.filter(screening_number__startswith="K-")
                 .values_list("screening_number", flat=True))
    assert set(acknowledged) <= stored
    registered = set(AuditEvent.objects.filter(action="register_candidate")
                     .values_list("new__screening_number", flat=True))
    assert set(acknowledged) <= registered
    assert verify_chain() == []
