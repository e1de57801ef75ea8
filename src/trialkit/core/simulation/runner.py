"""Running many simulated trials: seeds, chunks of work, and local parallel workers.

Trial t of every scenario draws from ``SeedSequence(seed, spawn_key=(t,))``: its own stream,
independent of every other trial's, whichever worker runs it and in whichever order, so one
worker and K workers give identical results. Scenarios share trial streams (common random
numbers): the difference between two scenarios is less noisy than either. The candidate pool
has its own stream (``setup.pool_for``).

Work is cut into tasks (a scenario and a range of trials). Locally they run in a process pool
(``concurrent.futures``); the CLI can hand the same tasks to Spark instead. Nothing here
schedules work itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np

from trialkit.core.protocol.model import Protocol
from trialkit.core.simulation.candidates import CandidatePool
from trialkit.core.simulation.scenario import Scenario, check_against
from trialkit.core.simulation.setup import DEFAULT_POOL, Setup, pool_for, population_key, prepare
from trialkit.core.simulation.summary import ScenarioOC, summarise
from trialkit.core.simulation.trial import Row, simulate_trial

Progress = Callable[[int], None]
"""Called with the number of trials just finished."""


@dataclass(frozen=True)
class Task:
    scenario: int
    first: int
    count: int


@dataclass(frozen=True)
class Simulation:
    setups: tuple[Setup, ...]
    rows: tuple[tuple[Row, ...], ...]
    """Per scenario, one row per simulated trial in trial order."""
    summaries: tuple[ScenarioOC, ...]
    seed: int


def trial_rng(seed: int, trial: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(trial,)))


def run_task(setups: Sequence[Setup], seed: int, task: Task) -> tuple[Task, list[Row]]:
    setup = setups[task.scenario]
    return task, [simulate_trial(setup, trial_rng(seed, trial))
                  for trial in range(task.first, task.first + task.count)]


def tasks_for(scenarios: int, trials: int, chunk: int) -> list[Task]:
    return [Task(s, first, min(chunk, trials - first))
            for s in range(scenarios) for first in range(0, trials, chunk)]


def prepare_all(protocol: Protocol, scenarios: Sequence[Scenario], seed: int,
                pool_size: int = DEFAULT_POOL) -> tuple[Setup, ...]:
    """One setup per scenario; scenarios with the same population share one pool."""
    for scenario in scenarios:  # refuse what cannot be simulated before the costly pools
        check_against(scenario.values, protocol)
    pools: dict[str, CandidatePool] = {}
    setups = []
    for scenario in scenarios:
        key = population_key(protocol, scenario.values, pool_size)
        if key not in pools:
            pools[key] = pool_for(protocol, scenario.values, seed, pool_size)
        setups.append(prepare(protocol, scenario, pools[key]))
    return tuple(setups)


def run_local(setups: Sequence[Setup], seed: int, trials: int, workers: int = 0,
              progress: Progress | None = None, chunk: int | None = None
              ) -> tuple[tuple[Row, ...], ...]:
    """Every scenario's trials; ``workers`` processes (0: one per CPU; 1: this process)."""
    workers = workers or os.cpu_count() or 1
    chunk = chunk or max(1, min(50, trials // (4 * workers) or 1))
    tasks = tasks_for(len(setups), trials, chunk)
    done: dict[tuple[int, int], list[Row]] = {}
    if workers == 1:
        for task in tasks:
            done[(task.scenario, task.first)] = run_task(setups, seed, task)[1]
            if progress is not None:
                progress(task.count)
    else:
        with ProcessPoolExecutor(max_workers=workers, initializer=_remember,
                                 initargs=(tuple(setups), seed)) as pool:
            futures = [pool.submit(_run_remembered, task) for task in tasks]
            for future in as_completed(futures):
                task, rows = future.result()
                done[(task.scenario, task.first)] = rows
                if progress is not None:
                    progress(task.count)
    return collect(done, len(setups), trials, chunk)


def collect(done: dict[tuple[int, int], list[Row]], scenarios: int, trials: int,
            chunk: int) -> tuple[tuple[Row, ...], ...]:
    """Rows in trial order per scenario, however the tasks finished."""
    return tuple(tuple(row for first in range(0, trials, chunk) for row in done[(s, first)])
                 for s in range(scenarios))


def summarise_all(setups: Sequence[Setup], rows: Sequence[Sequence[Row]], seed: int
                  ) -> tuple[ScenarioOC, ...]:
    return tuple(summarise(setup, scenario_rows, seed)
                 for setup, scenario_rows in zip(setups, rows, strict=True))


_REMEMBERED: dict[str, object] = {}


def _remember(setups: tuple[Setup, ...], seed: int) -> None:
    """Worker start-up: keep the setups, so each task carries only its numbers."""
    _REMEMBERED["setups"], _REMEMBERED["seed"] = setups, seed


def _run_remembered(task: Task) -> tuple[Task, list[Row]]:
    setups = _REMEMBERED["setups"]
    seed = _REMEMBERED["seed"]
    assert isinstance(setups, tuple) and isinstance(seed, int)
    return run_task(setups, seed, task)


def simulate(protocol: Protocol, scenarios: Sequence[Scenario], *, trials: int, seed: int,
             workers: int = 0, pool_size: int = DEFAULT_POOL,
             progress: Progress | None = None) -> Simulation:
    """Prepare, run locally and summarise every scenario."""
    if trials < 1:
        raise ValueError("trials: must be at least 1")
    setups = prepare_all(protocol, scenarios, seed, pool_size)
    rows = run_local(setups, seed, trials, workers, progress)
    return Simulation(setups, rows, summarise_all(setups, rows, seed), seed)
