"""`trialkit simulate SCENARIOS.yaml`: simulate a protocol's trial many times and report its
operating characteristics (docs/simulation.md).

Locally the trials run in a process pool (``--workers``, default one per CPU); ``--engine
spark`` hands the same tasks to Spark (local mode unless a master is configured). The same
seed gives the same results on either engine and any number of workers.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from trialkit.cli.common import default_protocol_path
from trialkit.cli.errors import UsageError
from trialkit.core.hygiene import spreadsheet_safe
from trialkit.core.protocol import Protocol, load_protocol
from trialkit.core.simulation import design_trial, designs, plots, report
from trialkit.core.simulation.runner import (
    Progress as Tick,
)
from trialkit.core.simulation.runner import (
    Simulation,
    Task,
    prepare_all,
    run_local,
    run_task,
    summarise_all,
    tasks_for,
)
from trialkit.core.simulation.scenario import (
    Scenario,
    ScenarioError,
    expand,
    load_scenario_file,
    protocol_path,
)
from trialkit.core.simulation.setup import DEFAULT_POOL
from trialkit.core.simulation.trial import Row

ENGINES = ("local", "spark")
_T = TypeVar("_T")
_S = TypeVar("_S")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "simulate", help="simulate the protocol's trial many times: operating characteristics")
    parser.add_argument("scenarios", type=Path, metavar="SCENARIOS.yaml",
                        help="scenario file (assumptions with sources, grids)")
    parser.add_argument("--protocol", type=Path, default=None, metavar="FILE",
                        help="protocol file (default: the one the scenario file names, else "
                             "$TRIALKIT_PROTOCOL)")
    parser.add_argument("--trials", type=int, default=1000, metavar="N",
                        help="simulated trials per scenario (default 1000)")
    parser.add_argument("--seed", type=int, required=True, metavar="S",
                        help="seed: the same seed gives the same results")
    parser.add_argument("--workers", type=int, default=0, metavar="K",
                        help="local worker processes (default: one per CPU)")
    parser.add_argument("--engine", choices=ENGINES, default="local")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="folder for summary.json, summary.md and the figures")
    parser.add_argument("--scenario", action="append", default=None, metavar="ID",
                        help="only scenarios whose id starts with ID (repeatable)")
    parser.add_argument("--pool", type=int, default=DEFAULT_POOL, metavar="N",
                        help=f"referred candidates screened per population (default "
                             f"{DEFAULT_POOL})")
    parser.add_argument("--rows", action="store_true",
                        help="also write trials.csv: one row per simulated trial")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    parser.set_defaults(handler=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    _check(args)
    if designs.is_design_file(args.scenarios):  # an ordinal or crossover comparison
        return _simulate_design(args)
    protocol, scenarios = _inputs(args)
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    workers = args.workers or os.cpu_count() or 1
    with Progress(*columns, console=console, transient=True, disable=args.quiet) as progress:
        task = progress.add_task("screening candidates", total=None)
        setups = _guarded(lambda: prepare_all(protocol, scenarios, args.seed, args.pool))
        progress.update(task, description="simulating trials",
                        total=args.trials * len(setups))

        def tick(done: int) -> None:
            progress.advance(task, done)
        rows = (_run_spark(setups, args.seed, args.trials, tick, run_task)
                if args.engine == "spark"
                else run_local(setups, args.seed, args.trials, workers, tick))
    simulation = Simulation(setups, rows, summarise_all(setups, rows, args.seed), args.seed)
    _write(simulation, args, workers)
    Console().print(_overview(simulation))
    return 0


def _simulate_design(args: argparse.Namespace) -> int:
    """A design-level scenario file (core.simulation.designs): with a declared population the
    whole protocol (screening, enrolment, randomization, visits) on --workers local
    processes or on Spark, else the randomized comparison only (in this process)."""
    file, raw = _guarded(lambda: designs.load(args.scenarios))
    if args.engine == "spark" and file.population is None:
        # Said rather than ignored: without a population there are no trial tasks to map.
        raise UsageError("--engine spark: a design file without a population runs its "
                         "randomized comparison in this process")
    path = args.protocol or designs.protocol_path(file, args.scenarios) \
        or default_protocol_path()
    if not Path(path).is_file():
        raise UsageError(f"{path}: no such protocol file")
    protocol = load_protocol(Path(path))
    workers = args.workers or os.cpu_count() or 1

    def on_spark(setups: Sequence[design_trial.DesignSetup], seed: int, trials: int
                 ) -> tuple[tuple[Row, ...], ...]:
        return _run_spark(setups, seed, trials, lambda done: None, design_trial.run_task)
    engine = on_spark if args.engine == "spark" else None
    results = _guarded(lambda: designs.simulate(file, raw, protocol, trials=args.trials,
                                                seed=args.seed, workers=workers,
                                                pool_size=args.pool,
                                                keep=tuple(args.scenario or ()),
                                                engine=engine))
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        data = designs.as_data(results, file, protocol, workers, args.engine)
        (args.out / "summary.json").write_text(json.dumps(data, indent=2, default=_plain)
                                               + "\n", encoding="utf-8")
        (args.out / "summary.md").write_text(designs.markdown(results, file), encoding="utf-8")
        plots.draw_design(results, args.out, file.alpha)
        if args.rows:
            _write_rows(args.out / "trials.csv",
                        [(r.scenario, r.rows) for r in results])
    except OSError as exc:
        raise UsageError(f"--out: cannot write to {args.out}: {exc}") from None
    Console().print(designs.markdown(results, file).split("## Sources")[0])
    return 0


def _check(args: argparse.Namespace) -> None:
    if args.trials < 1:
        raise UsageError("--trials: must be at least 1")
    if args.workers < 0:
        raise UsageError("--workers: must be 0 (one per CPU) or more")
    if args.pool < 10:
        raise UsageError("--pool: must be at least 10")
    if not args.scenarios.is_file():
        raise UsageError(f"{args.scenarios}: no such scenario file")


def _inputs(args: argparse.Namespace) -> tuple[Protocol, tuple[Scenario, ...]]:
    file, raw = _guarded(lambda: load_scenario_file(args.scenarios))
    path = args.protocol or protocol_path(file, args.scenarios) or default_protocol_path()
    if not Path(path).is_file():
        raise UsageError(f"{path}: no such protocol file")
    protocol = load_protocol(Path(path))
    scenarios = _guarded(lambda: expand(file, raw))
    if args.scenario:
        scenarios = tuple(s for s in scenarios if any(s.id.startswith(w) for w in args.scenario))
        if not scenarios:
            raise UsageError(f"--scenario: no scenario id starts with {', '.join(args.scenario)}")
    return protocol, scenarios


def _guarded(work: Callable[[], _T]) -> _T:
    try:
        return work()
    except ScenarioError as exc:
        raise UsageError("the scenario file cannot be simulated:\n  " + "\n  ".join(
            f"{path}: {message}" if path else message for path, message in exc.problems)
        ) from None


def _run_spark(setups: Sequence[_S], seed: int, trials: int, tick: Tick,
               work: Callable[[Sequence[_S], int, Task], tuple[Task, list[Row]]],
               ) -> tuple[tuple[Row, ...], ...]:
    """The same tasks as the local engine, mapped by Spark (``prescreen.backends`` starts a
    local-mode session when no cluster is configured). ``work`` runs one task: the reference
    model's ``runner.run_task`` or a design file's ``design_trial.run_task``."""
    from trialkit.prescreen.backends import (
        BackendUnavailableError,
        spark_session,
        spark_unavailable_reason,
    )

    reason = spark_unavailable_reason()
    if reason is not None:
        raise UsageError(f"--engine spark: {reason}")
    try:
        context = spark_session().sparkContext
    except BackendUnavailableError as exc:
        raise UsageError(f"--engine spark: {exc}") from None
    chunk = max(1, min(50, math.ceil(trials / 8)))
    tasks = tasks_for(len(setups), trials, chunk)
    shared = context.broadcast((tuple(setups), seed))
    mapped = context.parallelize(tasks, len(tasks)).map(
        lambda task: work(shared.value[0], shared.value[1], task))
    done: dict[tuple[int, int], list[Row]] = {}
    for task, rows in mapped.toLocalIterator():
        done[(task.scenario, task.first)] = rows
        tick(task.count)
    shared.unpersist()
    return tuple(tuple(row for first in range(0, trials, chunk) for row in done[(s, first)])
                 for s in range(len(setups)))


def _write(simulation: Simulation, args: argparse.Namespace, workers: int) -> None:
    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
        data = report.as_data(simulation, engine=args.engine, workers=workers)
        (out / "summary.json").write_text(json.dumps(data, indent=2, default=_plain) + "\n",
                                          encoding="utf-8")
        (out / "summary.md").write_text(report.markdown(simulation, engine=args.engine,
                                                        workers=workers), encoding="utf-8")
        plots.draw_all(simulation, out)
        if args.rows:
            _rows_csv(simulation, out / "trials.csv")
    except OSError as exc:
        raise UsageError(f"--out: cannot write to {out}: {exc}") from None


def _plain(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


def _rows_csv(simulation: Simulation, path: Path) -> None:
    _write_rows(path, [(setup.scenario.id, rows)
                       for setup, rows in zip(simulation.setups, simulation.rows, strict=True)])


def _write_rows(path: Path, scenarios: Sequence[tuple[str, Sequence[Row]]]) -> None:
    names = sorted({name for _, rows in scenarios for row in rows for name in row})
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        # Scenario ids and names come from a file anyone may write: no cell may start a formula.
        writer.writerow([spreadsheet_safe(name) for name in ["scenario", "trial", *names]])
        for scenario, rows in scenarios:
            for trial, row in enumerate(rows):
                writer.writerow([spreadsheet_safe(scenario), trial,
                                 *(_cell(row.get(name)) for name in names)])


def _cell(value: float | None) -> str:
    return "" if value is None or math.isnan(value) else f"{value:.6g}"


def _overview(simulation: Simulation) -> Table:
    endpoints = [e.endpoint for e in simulation.summaries[0].endpoints]
    table = Table(title=f"Operating characteristics ({simulation.summaries[0].trials} trials "
                        f"per scenario, seed {simulation.seed}; ± MCSE)")
    table.add_column("scenario", overflow="fold")
    for name in ("P(stop at gate)", "median duration (months)",
                 *(f"P(reject) {e}" for e in endpoints)):
        table.add_column(name, justify="right")
    for s in simulation.summaries:
        table.add_row(s.scenario, report.fmt(s.gate_stop, 3),
                      f"{s.duration_quantiles.p50 / report.MONTH:.1f}",
                      *(report.fmt(e.rejection, 3) for e in s.endpoints))
    return table
