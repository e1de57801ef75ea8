"""The floor of the stack: what Django on gunicorn and PostgreSQL allows per request here.

The server bench (``bench_server.py``) compares trialkit's writes with pgbench's TPS. This
bench measures, in one run on the same machine, the least any application on the same stack
can do (``benchmarks/floor/app.py``: no trialkit code, no ORM, no middleware):

- a JSON answer with no database;
- the minimum audited write: lock the audit head, insert a record, insert its HMAC-chained
  event, move the head, commit (four statements and a commit, raw SQL);

beside pgbench (TPC-B-like: five statements and a commit, no HTTP, no Python), with the CPU
milliseconds each request costs the workers, their PostgreSQL backends and this client. With
the CPU budget a target ratio leaves (CPUs x 1000 ms / (ratio x pgbench TPS)), it shows
whether a ratio is reachable on this stack and machine at all; docs/deploy.md reads it.

Environment: ``TRIALKIT_BENCH_PG`` as for the server bench. Without a reachable server the
bench says so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_server import (  # noqa: E402  (the server bench's client, meter and pgbench)
    Client,
    CpuMeter,
    _admin_sql,
    _clients_at_once,
    _free_port,
    _reachable,
    _row,
    _server_url,
    listening,
    pgbench,
)

SCHEMA = """
CREATE TABLE floor_head (id int PRIMARY KEY, hash text NOT NULL);
INSERT INTO floor_head VALUES (1, '');
CREATE TABLE floor_record (id bigserial PRIMARY KEY, data jsonb NOT NULL);
CREATE TABLE floor_event (id bigserial PRIMARY KEY, record_id bigint NOT NULL,
                          previous text NOT NULL, hash text NOT NULL);
"""
# The targets for trialkit's writes, as ratios to pgbench TPS.
TARGETS = {"randomization": 0.05, "form save": 0.15}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=max(2, 2 * (os.cpu_count() or 1)))
    parser.add_argument("--requests-per-client", type=int, default=60)
    parser.add_argument("--pgbench-seconds", type=int, default=15)
    parser.add_argument("--pgbench-scale", type=int, default=4)
    return parser.parse_args()


def _start(database: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    url = _server_url().removeprefix("postgresql://")
    user, _, hostport = url.rpartition("@")
    host, _, pg_port = hostport.partition(":")
    env = {**os.environ, "FLOOR_DATABASE": database, "FLOOR_USER": user or "postgres",
           "FLOOR_HOST": host, "FLOOR_PORT": pg_port or "5432"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--preload",
         "--bind", f"127.0.0.1:{port}", "--chdir", str(HERE / "floor"), "app:application"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return listening(server, port)


def _requests(port: int, method: str, path: str, count: int):  # type: ignore[no-untyped-def]
    def work(client_number: int) -> list[float]:
        client = Client(port)
        body = json.dumps({"client": client_number, "item": "EDSS", "value": 3.5})
        latencies = []
        for _ in range(count):
            status, content, elapsed = client.request(
                method, path, body if method == "POST" else None,
                {"Content-Type": "application/json"})
            if status not in (200, 201):
                raise RuntimeError(f"{method} {path}: {status} {content[:200]!r}")
            latencies.append(elapsed)
        return latencies
    return work


def main() -> int:
    args = _arguments()
    if not _reachable():
        return 0
    import psycopg

    database = f"trialkit_floor_{os.getpid()}"
    _admin_sql(f'CREATE DATABASE "{database}"')
    server = None
    rows = []
    try:
        with psycopg.connect(f"{_server_url()}/{database}", autocommit=True) as c:
            c.execute(SCHEMA)
        server, port = _start(database, args.workers)
        warm = _requests(port, "GET", "/ping", 3)
        _clients_at_once(2 * args.workers, warm)
        _clients_at_once(2 * args.workers, _requests(port, "POST", "/write", 2))
        cpu = CpuMeter(server.pid, database)
        for name, method, path in (("JSON answer, no database (GET /ping)", "GET", "/ping"),
                                   ("minimum audited write (POST /write)", "POST", "/write")):
            rows.append(cpu.measured(_row(name, *_clients_at_once(
                args.clients, _requests(port, method, path, args.requests_per_client)))))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        _admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    tps = pgbench(args.clients, args.pgbench_seconds, args.pgbench_scale)
    _report(rows, tps, args)
    return 0


def _report(rows: list[dict], tps: float | None,  # type: ignore[type-arg]
            args: argparse.Namespace) -> None:
    cpus = os.cpu_count() or 1
    print(f"the stack's floor: {args.workers} gunicorn workers, {args.clients} client "
          f"connections, {cpus} CPU(s), load {os.getloadavg()[0]:.1f}")
    for row in rows:
        cpu = row.get("cpu_ms_per_request", {})
        print(f"  {row['operation']:44} {row['per_second']:>8} req/s  p50 {row['p50_ms']} ms  "
              f"p99 {row['p99_ms']} ms  CPU ms per request: " + ", ".join(
                  f"{part} {ms}" for part, ms in cpu.items()))
    if tps is None:
        return
    print(f"pgbench (TPC-B-like, {args.clients} clients, same run): {tps:.1f} TPS")
    for row in rows:
        row["ratio_to_pgbench_tps"] = round(row["per_second"] / tps, 4)
        print(f"  {row['operation'].split(' (')[0]}: {row['ratio_to_pgbench_tps']:.3f} x pgbench")
    for name, ratio in TARGETS.items():
        budget = cpus * 1000 / (ratio * tps)
        print(f"  a {name} at {ratio} x pgbench leaves {budget:.1f} CPU ms per request "
              f"(server, database and client together) on {cpus} CPU(s)")
    print(json.dumps({"workers": args.workers, "clients": args.clients, "cpus": cpus,
                      "pgbench_tps": tps, "results": rows}))


if __name__ == "__main__":
    sys.exit(main())
