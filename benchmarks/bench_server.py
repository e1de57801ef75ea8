"""The deployed server under load, on PostgreSQL, beside pgbench in the same run.

``trialkit web serve`` (gunicorn, several worker processes) serves a trial database built
through the actions; 32 client threads, each with its own keep-alive HTTP connection, then
randomize participants and save forms through the JSON API with bearer tokens, and a signed-in
coordinator's browser session opens the dashboard and participant pages with 1,000 participants
on the books. Every request is parsed, authorised, run as an audited action and answered exactly
as in production. ``pgbench`` (TPC-B-like, the same number of clients) runs on the same server
in the same run, for scale: an audited, hash-chained action is several statements plus the
serialising audit-head and list locks, so it runs below pgbench's TPS by design.

Each write operation's row also gives its CPU milliseconds per request in the server's
workers, their PostgreSQL backends and this client, which, unlike rates on a shared machine,
compare across runs; docs/deploy.md 'Performance' has the figures and what bounds them.

The trial is the reference protocol (any protocol file with a randomized part works:
``--protocol``) with the randomized part's target raised so every client has participants.

Environment: ``TRIALKIT_BENCH_PG`` (server URL without database, default
``postgresql://postgres@127.0.0.1:5432``). Scratch databases are created and dropped.
Without a reachable server or without ``pgbench`` the bench says so and exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
PASSWORD = "correct horse battery staple"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", type=Path, default=ROOT / "protocols" / "nct05532943.yaml")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=max(2, 2 * (os.cpu_count() or 1)),
                        help="server worker processes (default: 2 per CPU)")
    parser.add_argument("--randomizations-per-client", type=int, default=3)
    parser.add_argument("--saves-per-client", type=int, default=20)
    parser.add_argument("--participants", type=int, default=1000,
                        help="participants on the books when the pages are timed")
    parser.add_argument("--page-requests", type=int, default=60)
    parser.add_argument("--pgbench-seconds", type=int, default=15)
    parser.add_argument("--pgbench-scale", type=int, default=4)
    return parser.parse_args()


def _server_url() -> str:
    return os.environ.get("TRIALKIT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432").rstrip("/")


def _admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{_server_url()}/postgres", autocommit=True, connect_timeout=5) as c:
        c.execute(statement)


def _reachable() -> bool:
    try:
        _admin_sql("SELECT 1")
    except Exception as exc:  # any failure means: no server to measure on
        print(f"note: PostgreSQL not reachable at {_server_url()} ({exc}); server bench skipped")
        return False
    return True


def _scaled_protocol(path: Path, target: int) -> Path:
    """The protocol with its randomized part's enrolment target raised to ``target``."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    randomized = data["randomization"]["part"]
    for part in data["design"]["parts"]:
        if part["id"] == randomized:
            part["enrolment_target"] = max(part["enrolment_target"], target)
    data["design"]["enrolment"]["count"] = sum(p["enrolment_target"]
                                               for p in data["design"]["parts"])
    out = Path(tempfile.mkdtemp(prefix="trialkit-bench-")) / path.name
    out.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out


# -- the trial, built through the actions ---------------------------------------------------

@dataclass
class Trial:
    token: str
    coordinator: str
    role: str
    mine: list[list[int]]
    """Participant ids to randomize, per client."""
    form_id: str
    visit_id: str
    values: dict[str, Any]
    changed_item: str
    others: list[int]
    """Participants for the page timings (every participant on the books)."""


def build(protocol: Path, args: argparse.Namespace) -> Trial:
    from django.core.management import call_command

    from tests.integration.capture_support import measured
    from tests.integration.journey_support import (
        Clock,
        eligible_and_consented,
        make_team,
    )
    from tests.protocol_cases import case_for
    from trialkit.web.trial.actions.accounts import do_issue_api_token
    from trialkit.web.trial.actions.participants import do_register_candidate
    from trialkit.web.trial.actions.study import do_load_protocol
    from trialkit.web.trial.models import Participant

    call_command("migrate", verbosity=0, interactive=False)
    do_load_protocol(protocol, actor=None)
    trial = case_for(protocol)
    make_actor = _people(trial)
    import pytest

    clock = Clock(pytest.MonkeyPatch())
    team = make_team(trial, make_actor)
    day0 = _open_randomized_part(trial, team, clock)
    count = args.clients * args.randomizations_per_client
    ids = _in_parallel(lambda n: eligible_and_consented(f"B-{n:05d}", team, clock, day0).id,
                       count)
    site = trial.site
    extra = max(0, args.participants - Participant.objects.count())
    _in_parallel(lambda n: do_register_candidate(f"C-{n:05d}", site,
                                                 actor=team.coordinator).id, extra)
    coordinator = team.coordinator
    token = do_issue_api_token(coordinator.role, "bench", PASSWORD, actor=coordinator)
    form = measured(trial)
    return Trial(token=token, coordinator=coordinator.user.username, role=coordinator.role,
                 mine=[ids[c::args.clients] for c in range(args.clients)],
                 form_id=form.form.id, visit_id=form.visit,
                 values=_jsonable(form.values(trial, day0)), changed_item=form.item.id,
                 others=list(Participant.objects.order_by("pk").values_list("pk", flat=True)))


def _open_randomized_part(trial: Any, team: Any, clock: Any) -> dt.date:
    """The randomized part open *today*: the server runs on the real clock, so the reviewed
    part is run to the end of its review in the past and the committee's opening decision
    signed then; returns the Day 0 (a week ahead) the clients randomize for."""
    from tests.integration.committee_support import open_report
    from tests.integration.journey_support import last_dose_day, list_live, run_part
    from trialkit.web.trial.actions.oversight import do_sign_safety_decision

    today = dt.date.today()
    list_live(team, clock)
    gate = trial.committee_gate_opening(trial.randomized_part.id)
    if gate is not None:
        part = trial.protocol.part(gate.reviews_part)
        # Room for the whole sequential part and its review before today.
        earlier = run_part(gate.reviews_part, team, clock,
                           first_day0=today - dt.timedelta(days=120 * part.enrolment_target))
        review_end = last_dose_day(earlier, gate.after_administration) + dt.timedelta(
            days=gate.days_after_administration)
        clock.set(review_end)
        index = trial.protocol.gates.committee.index(gate)
        do_sign_safety_decision(gate.opening_decisions[0], "No safety concern in the reviewed "
                                "part", PASSWORD, actor=team.actor(gate.signer_role),
                                gate_index=index,
                                report_sha256=open_report(team.actor, trial.protocol, index))
    return today + dt.timedelta(days=7)


def _people(trial: Any) -> Callable[..., Any]:
    from tests.accounts_support import grant
    from trialkit.web.trial.actions.accounts import do_create_user, do_grant_role
    from trialkit.web.trial.actions.base import actor_for

    user = do_create_user("bench-admin", PASSWORD, "Bench Admin", actor=None)
    do_grant_role(user, trial.administrator, None, actor=None)
    admin = actor_for(user, trial.administrator)

    def make_actor(role: str, site: str | None = None, username: str | None = None) -> Any:
        scoped = admin.protocol().role(role).site_scoped
        name = username or f"bench-{role}"
        made = do_create_user(name, PASSWORD, name.replace("-", " ").title(), actor=admin)
        # Unblinded roles are granted with a second administrator's approval, as the server
        # requires.
        grant(made, role, (site or trial.site) if scoped else None, admin=admin)
        return actor_for(made, role)

    return make_actor


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(values, default=str))


def _in_parallel(make: Callable[[int], int], count: int) -> list[int]:
    from django.db import connection

    def run(n: int) -> int:
        try:
            return make(n)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(run, range(1, count + 1)))


# -- the server -------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(database_url: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    server = subprocess.Popen(
        [sys.executable, "-m", "trialkit.cli.main", "web", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return listening(server, port)


def listening(server: subprocess.Popen[bytes], port: int) -> tuple[subprocess.Popen[bytes], int]:
    """``server`` once it accepts connections on ``port`` (its error output if it exits)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server did not start: "
                               + (server.stderr.read() if server.stderr else b"").decode()[-2000:])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, port
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("the server did not listen within 60 s")


class Client:
    """One keep-alive HTTP/1.1 connection, as a browser or an integration would hold."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = headers or {}
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, float]:
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=sent)
        response = self.connection.getresponse()
        content = response.read()
        elapsed = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, content, elapsed

    def json(self, method: str, path: str, payload: dict[str, Any]) -> float:
        status, content, elapsed = self.request(method, path, json.dumps(payload),
                                                {"Content-Type": "application/json"})
        if status not in (200, 201):
            raise RuntimeError(f"{method} {path}: {status} {content[:300]!r}")
        return elapsed


def _clients_at_once(clients: int, work: Callable[[int], list[float]]
                     ) -> tuple[list[float], float]:
    barrier = threading.Barrier(clients + 1)

    def run(client: int) -> list[float]:
        barrier.wait()
        return work(client)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(run, c) for c in range(clients)]
        barrier.wait()
        started = time.perf_counter()
        latencies = [x for f in futures for x in f.result()]
        return latencies, time.perf_counter() - started


def randomize(trial: Trial, port: int) -> Callable[[int], list[float]]:
    def work(client_number: int) -> list[float]:
        client = Client(port, {"Authorization": f"Bearer {trial.token}"})
        return [client.json("POST", f"/api/participants/{pid}/randomization", {})
                for pid in trial.mine[client_number]]
    return work


def save_forms(trial: Trial, port: int, saves: int) -> Callable[[int], list[float]]:
    """The measured form at its visit: saved, then corrected (each save a new version)."""
    def work(client_number: int) -> list[float]:
        client = Client(port, {"Authorization": f"Bearer {trial.token}"})
        latencies: list[float] = []
        saved: dict[int, int] = {}
        mine = trial.mine[client_number]
        for i in range(saves):
            pid = mine[i % len(mine)]
            count = saved.get(pid, 0)
            saved[pid] = count + 1
            # Each correction differs from the version before it (alternating one step).
            value = trial.values[trial.changed_item] + (count % 2)
            latencies.append(client.json("POST", f"/api/participants/{pid}/forms", {
                "form_id": trial.form_id, "visit_id": trial.visit_id,
                "reason": "transcription corrected" if count else "",
                "data": {**trial.values, trial.changed_item: value}}))
        return latencies
    return work


def signed_in_browser(trial: Trial, port: int) -> Client:
    client = Client(port)
    status, body, _ = client.request("GET", "/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if token is None:
        raise RuntimeError(f"no sign-in form ({status})")
    form = urlencode({"csrfmiddlewaretoken": token.group(1).decode(),
                      "username": trial.coordinator, "password": PASSWORD})
    client.request("POST", "/login/", form, {"Content-Type": "application/x-www-form-urlencoded",
                                              "Referer": f"http://127.0.0.1:{port}/login/"})
    status, body, _ = client.request("GET", "/role/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if token is not None:
        form = urlencode({"csrfmiddlewaretoken": token.group(1).decode(), "role": trial.role})
        client.request("POST", "/role/", form, {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1:{port}/role/"})
    status, _, _ = client.request("GET", "/")
    if status != 200:
        raise RuntimeError(f"the coordinator could not open the dashboard ({status})")
    return client


def warm_up(trial: Trial, port: int, workers: int) -> None:
    """A few reads per worker first, so no measured request pays a worker's first-request
    costs (the protocol parsed and compiled, connections opened)."""
    def read(_: int) -> list[float]:
        client = Client(port, {"Authorization": f"Bearer {trial.token}"})
        return [client.request("GET", "/api/study")[2] for _ in range(3)]

    _clients_at_once(2 * workers, read)


def page_times(client: Client, paths: list[str]) -> list[float]:
    times = []
    for path in paths:
        status, content, elapsed = client.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {content[:200]!r}")
        times.append(elapsed)
    return times


class CpuMeter:
    """CPU time per request of the server's worker processes, of the PostgreSQL backends
    serving them and of this client process, from /proc (Linux): unlike rates and latencies,
    it does not depend on what else the machine is running. A backend that ends within a
    phase (connections not kept) takes its time with it: the database column then reads low.
    """

    def __init__(self, server_pid: int, database: str) -> None:
        self.server_pid, self.database = server_pid, database
        self.start = self._sample()

    def measured(self, row: dict[str, Any]) -> dict[str, Any]:
        """``row``'s phase ran since the previous call: add its CPU milliseconds per request."""
        end = self._sample()
        if end is not None and self.start is not None:
            row["cpu_ms_per_request"] = {
                part: round(1000 * sum(t - self.start[part].get(pid, 0.0)
                                       for pid, t in end[part].items()) / row["requests"], 1)
                for part in end}
        self.start = self._sample()
        return row

    def _sample(self) -> dict[str, dict[int, float]] | None:
        if not Path("/proc/self/stat").exists():
            return None
        import psycopg

        with psycopg.connect(f"{_server_url()}/postgres", autocommit=True) as c:
            backends = [r[0] for r in c.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,))]
        workers = [pid for pid in _pids() if _stat(pid)[1] == self.server_pid]
        return {"server": {pid: _stat(pid)[0] for pid in workers},
                "database": {pid: _stat(pid)[0] for pid in backends},
                "client": {os.getpid(): _stat(os.getpid())[0]}}


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _stat(pid: int) -> tuple[float, int]:
    """A process's CPU seconds (user and system) and its parent's pid; (0, 0) once gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), int(fields[1])


# -- pgbench and the report ---------------------------------------------------------------

def pgbench(clients: int, seconds: int, scale: int) -> float | None:
    binary = shutil.which("pgbench")
    if binary is None:
        print("note: pgbench is not installed (Debian: postgresql-contrib); no TPS to compare")
        return None
    database = f"trialkit_pgbench_{os.getpid()}"
    url = f"{_server_url()}/{database}"
    _admin_sql(f'CREATE DATABASE "{database}"')
    try:
        subprocess.run([binary, "-i", "-q", "-s", str(scale), url], check=True,
                       capture_output=True, text=True)
        done = subprocess.run([binary, "-c", str(clients), "-j", str(min(clients, 4)), "-T",
                               str(seconds), "-n", url], check=True, capture_output=True,
                              text=True)
        found = re.search(r"tps = ([0-9.]+)", done.stdout)
        return float(found.group(1)) if found else None
    finally:
        _admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _row(name: str, latencies: list[float], wall: float | None) -> dict[str, Any]:
    row: dict[str, Any] = {"operation": name, "requests": len(latencies),
                           "p50_ms": round(1000 * statistics.median(latencies), 1),
                           "p95_ms": round(1000 * _percentile(latencies, 0.95), 1),
                           "p99_ms": round(1000 * _percentile(latencies, 0.99), 1)}
    if wall is not None:
        row["per_second"] = round(len(latencies) / wall, 1)
    return row


def report(rows: list[dict[str, Any]], tps: float | None, args: argparse.Namespace) -> None:
    load = os.getloadavg()[0]
    print(f"PostgreSQL at {_server_url()}; server: {args.workers} gunicorn workers; "
          f"{args.clients} client connections; {os.cpu_count()} CPU(s); load {load:.1f}")
    print(f"{'operation':52} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8}")
    for row in rows:
        print(f"{row['operation']:52} {row['requests']:>8} {row.get('per_second', '-'):>8} "
              f"{row['p50_ms']:>8} {row['p95_ms']:>8} {row['p99_ms']:>8}")
    for row in rows:
        if "cpu_ms_per_request" in row:
            print(f"  {row['operation'].split(' (')[0]}: CPU ms per request " + ", ".join(
                f"{part} {ms}" for part, ms in row["cpu_ms_per_request"].items()))
    if tps is not None:
        print(f"pgbench (TPC-B-like, {args.clients} clients, same run): {tps:.1f} TPS")
        for row in rows:
            if "per_second" in row:
                row["ratio_to_pgbench_tps"] = round(row["per_second"] / tps, 4)
                print(f"  {row['operation'].split(' (')[0]}: "
                      f"{row['ratio_to_pgbench_tps']:.3f} x pgbench TPS")
    print(json.dumps({"clients": args.clients, "workers": args.workers, "load": load,
                      "pgbench_tps": tps, "results": rows}))


def main() -> int:
    args = _arguments()
    if not _reachable():
        return 0
    database = f"trialkit_bench_{os.getpid()}"
    database_url = f"{_server_url()}/{database}"
    _admin_sql(f'CREATE DATABASE "{database}"')
    server = None
    try:
        # The server and this process share the settings: a real secret and audit key, plain
        # HTTP on the loopback (no TLS proxy in front of a bench).
        os.environ.update({"DATABASE_URL": database_url, "TRIALKIT_HTTPS": "0",
                           "TRIALKIT_SECRET_KEY": secrets.token_urlsafe(50),
                           "TRIALKIT_AUDIT_KEY": secrets.token_hex(32)})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialkit.web.settings")
        import django

        django.setup()
        protocol = _scaled_protocol(args.protocol,
                                    args.clients * args.randomizations_per_client)
        print(f"building the trial ({args.participants} participants) ...", flush=True)
        started = time.perf_counter()
        trial = build(protocol, args)
        from django.db import connections

        connections.close_all()
        print(f"built in {time.perf_counter() - started:.0f} s; starting the server",
              flush=True)
        server, port = start_server(database_url, args.workers)
        warm_up(trial, port, args.workers)
        cpu = CpuMeter(server.pid, database)
        rows = [
            cpu.measured(_row("randomize (POST /api/participants/{id}/randomization)",
                              *_clients_at_once(args.clients, randomize(trial, port)))),
            cpu.measured(_row("form save (POST /api/participants/{id}/forms)",
                              *_clients_at_once(args.clients, save_forms(
                                  trial, port, args.saves_per_client)))),
        ]
        browser = signed_in_browser(trial, port)
        page_times(browser, ["/"] * 3)  # warm the workers' caches
        rows.append(_row(f"dashboard page ({len(trial.others)} participants)",
                         page_times(browser, ["/"] * args.page_requests), None))
        picks = [trial.others[i * len(trial.others) // args.page_requests]
                 for i in range(args.page_requests)]
        rows.append(_row("participant page", page_times(
            browser, [f"/participants/{pk}/" for pk in picks]), None))
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a worker stuck in a request: do not wait
                server.kill()
                server.wait()
        _admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    tps = pgbench(args.clients, args.pgbench_seconds, args.pgbench_scale)
    report(rows, tps, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
