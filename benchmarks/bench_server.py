"""Server throughput on PostgreSQL: randomizations and form saves through the HTTP API.

32 concurrent clients (threads, each with its own database connection and its own API client)
call the WSGI application in-process with bearer tokens, so every request is parsed,
authorised, run as an audited action and answered as in production. The same run measures
``pgbench`` (TPC-B-like, the same number of clients) on the same server for scale: an
audited, hash-chained action is several statements plus a serialising audit-head lock, so it
is expected to run well below pgbench's TPS.

The trial state is built through the actions (the integration tests' journey helpers): Phase I
run and cleared by the committee, the list live, every participant screened, judged and
consented. The protocol is the reference protocol with the randomized part's enrolment target
raised so that every client has participants to randomize.

Environment: ``TRIALKIT_BENCH_PG`` (server URL without database, default
``postgresql://postgres@127.0.0.1:5432``). Scratch databases are created and dropped.
Without a reachable server or without ``pgbench`` the bench says so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--randomizations-per-client", type=int, default=3)
    parser.add_argument("--saves-per-client", type=int, default=25)
    parser.add_argument("--pgbench-seconds", type=int, default=15)
    parser.add_argument("--pgbench-scale", type=int, default=4)
    return parser.parse_args()


def _server() -> str:
    return os.environ.get("TRIALKIT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432").rstrip("/")


def _admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{_server()}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(statement)


def _reachable() -> bool:
    try:
        _admin_sql("SELECT 1")
    except Exception as exc:  # any failure means: no server to measure on
        print(f"note: PostgreSQL not reachable at {_server()} ({exc}); server bench skipped")
        return False
    return True


def _scaled_protocol(target: int) -> Path:
    """The reference protocol with the randomized part's enrolment target set to ``target``."""
    import yaml

    data = yaml.safe_load((ROOT / "protocols" / "nct05532943.yaml").read_text(encoding="utf-8"))
    randomized = data["randomization"]["part"]
    for part in data["design"]["parts"]:
        if part["id"] == randomized:
            part["enrolment_target"] = max(part["enrolment_target"], target)
    data["design"]["enrolment"]["count"] = sum(p["enrolment_target"]
                                               for p in data["design"]["parts"])
    out = Path(tempfile.mkdtemp(prefix="trialkit-bench-")) / "protocol.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _run_clients(clients: int, work: Callable[[int], list[float]]) -> tuple[list[float], float]:
    """Run ``work(client)`` in ``clients`` threads released together; latencies and wall time."""
    from django.db import connection

    barrier = threading.Barrier(clients + 1)

    def run(client: int) -> list[float]:
        try:
            barrier.wait()
            return work(client)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(run, c) for c in range(clients)]
        barrier.wait()
        started = time.perf_counter()
        latencies = [x for f in futures for x in f.result()]
        return latencies, time.perf_counter() - started


def _summary(name: str, latencies: list[float], wall: float) -> dict[str, Any]:
    return {"operation": name, "requests": len(latencies), "seconds": round(wall, 2),
            "per_second": round(len(latencies) / wall, 1),
            "p50_ms": round(1000 * statistics.median(latencies), 1),
            "p99_ms": round(1000 * _percentile(latencies, 0.99), 1)}


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


@dataclass
class Workload:
    """The trial state the clients work on, built through the actions."""

    token: str
    mine: list[list[int]]
    """Participant ids per client: each client randomizes and edits only its own."""
    day0: str
    saved: set[tuple[int, int]] = field(default_factory=set)

    @classmethod
    def build(cls, protocol: Path, clients: int, per_client: int) -> Workload:
        import datetime as dt

        import pytest
        from django.core.management import call_command

        from tests.integration.journey_support import (
            Clock,
            eligible_and_consented,
            last_it_day,
            make_team,
            open_phase2a,
        )
        from trialkit.web.trial.actions.accounts import do_issue_api_token
        from trialkit.web.trial.actions.study import do_load_protocol

        call_command("migrate", verbosity=0, interactive=False)
        do_load_protocol(protocol, actor=None)
        admin, make_actor = _people()
        clock = Clock(pytest.MonkeyPatch())
        team = make_team(make_actor)
        day0 = last_it_day(open_phase2a(team, clock)) + dt.timedelta(days=35)
        ids = _in_parallel(clients, lambda n: eligible_and_consented(
            f"B-{n:05d}", team, clock, day0).id, clients * per_client)
        token = do_issue_api_token(team.coordinator.user, "coordinator", "bench", actor=admin)
        return cls(token, [ids[c::clients] for c in range(clients)], day0.isoformat())

    def _call(self, client: Any, path: str, body: dict[str, Any]) -> float:
        elapsed, response = _timed(lambda: client.post(
            path, json.dumps(body), content_type="application/json",
            headers={"Authorization": f"Bearer {self.token}"}))
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{path}: {response.status_code} {response.content[:300]!r}")
        return elapsed

    def randomize(self, client_number: int) -> list[float]:
        from django.test import Client

        client = Client()
        return [self._call(client, f"/api/participants/{pid}/randomization", {})
                for pid in self.mine[client_number]]

    def save_forms(self, client_number: int, saves: int) -> list[float]:
        """Vital signs at Day 0, saved and then corrected (each save a new audited version)."""
        from django.test import Client

        client, latencies = Client(), []
        for i in range(saves):
            pid = self.mine[client_number][i % len(self.mine[client_number])]
            first = (pid, 0) not in self.saved
            self.saved.add((pid, 0))
            latencies.append(self._call(client, f"/api/participants/{pid}/forms", {
                "form_id": "VS", "visit_id": "D0", "reason": "" if first else "corrected",
                "data": {"measured_at": f"{self.day0}T10:00:00+00:00", "systolic_bp": 120,
                         "diastolic_bp": 80, "heart_rate": 60 + i % 40, "temperature": 36.8}}))
        return latencies


def _people() -> tuple[Any, Callable[..., Any]]:
    from tests.integration.conftest import PASSWORD
    from trialkit.web.trial.actions.accounts import do_create_user, do_grant_role
    from trialkit.web.trial.actions.base import actor_for

    user = do_create_user("bench-admin", PASSWORD, "Bench Admin", actor=None)
    do_grant_role(user, "administrator", None, actor=None)
    admin = actor_for(user, "administrator")

    def make_actor(role: str, site: str | None = "CMUH") -> Any:
        scoped = admin.protocol().role(role).site_scoped
        made = do_create_user(f"bench-{role}", PASSWORD, f"Bench {role}", actor=admin)
        do_grant_role(made, role, site if scoped else None, actor=admin)
        return actor_for(made, role)

    return admin, make_actor


def _in_parallel(workers: int, make: Callable[[int], int], count: int) -> list[int]:
    from django.db import connection

    def run(n: int) -> int:
        try:
            return make(n)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=min(workers, 8)) as pool:
        return list(pool.map(run, range(1, count + 1)))


def _pgbench(clients: int, seconds: int, scale: int) -> float | None:
    binary = shutil.which("pgbench")
    if binary is None:
        print("note: pgbench is not installed (Debian: postgresql-contrib); no TPS to compare")
        return None
    database = f"trialkit_pgbench_{os.getpid()}"
    url = f"{_server()}/{database}"
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


def main() -> int:
    args = _arguments()
    if not _reachable():
        return 0
    database = f"trialkit_bench_{os.getpid()}"
    _admin_sql(f'CREATE DATABASE "{database}"')
    try:
        os.environ["DATABASE_URL"] = f"{_server()}/{database}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialkit.web.settings")
        import django

        django.setup()
        workload = Workload.build(_scaled_protocol(args.clients * args.randomizations_per_client),
                                  args.clients, args.randomizations_per_client)
        rows = [
            _summary("randomize (POST /api/participants/{id}/randomization)",
                     *_run_clients(args.clients, workload.randomize)),
            _summary("form save (POST /api/participants/{id}/forms)",
                     *_run_clients(args.clients, lambda c: workload.save_forms(
                         c, args.saves_per_client))),
        ]
        from django.db import connections

        connections.close_all()
    finally:
        _admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    tps = _pgbench(args.clients, args.pgbench_seconds, args.pgbench_scale)
    _report(rows, tps, args.clients)
    return 0


def _report(rows: list[dict[str, Any]], tps: float | None, clients: int) -> None:
    print(f"PostgreSQL at {_server()}, {clients} concurrent clients, {os.cpu_count()} CPU(s)")
    print(f"{'operation':58} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for row in rows:
        print(f"{row['operation']:58} {row['requests']:>8} {row['per_second']:>8} "
              f"{row['p50_ms']:>8} {row['p99_ms']:>8}")
    if tps is not None:
        print(f"pgbench (TPC-B-like, {clients} clients): {tps:.1f} TPS")
        for row in rows:
            row["ratio_to_pgbench_tps"] = round(row["per_second"] / tps, 4)
            print(f"  {row['operation'].split(' (')[0]}: {row['ratio_to_pgbench_tps']:.3f} "
                  "x pgbench TPS")
    print(json.dumps({"clients": clients, "pgbench_tps": tps, "results": rows}))


if __name__ == "__main__":
    sys.exit(main())
