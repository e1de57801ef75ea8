"""The whole protocol for a design-level scenario file that declares its population: screened
candidates, enrolment, randomization by the protocol's own scheme (to an arm, or to a
sequence of a crossover part), visits in their windows (per period), dropout, and the
declared analyses of the design's outcome model (``ordinal``, ``crossover``).

A simulated trial is a function of (setup, rng), and trial t draws from
``SeedSequence(seed, spawn_key=(t,))``: the same results on one worker or K. The candidate
pool has its own stream, as in ``setup.pool_for``.

Gates: the protocols these files describe may declare no committee gate and no sequential
enrolment, and then there is nothing to apply. A protocol that declares either is simulated
by the reference model (``runner``), which applies them; ``check`` refuses it here rather than
silently skip a rule the protocol has.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from trialkit.core.protocol.model import Protocol
from trialkit.core.simulation import crossover, ordinal
from trialkit.core.simulation.allocation import allocate
from trialkit.core.simulation.declared_population import DeclaredPool, build
from trialkit.core.simulation.fast_ancova import ancova_difference
from trialkit.core.simulation.runner import Task
from trialkit.core.simulation.scenario import ScenarioError

if TYPE_CHECKING:  # designs imports this module; the file's type is only a hint here
    from trialkit.core.simulation.designs import DesignFile

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Row = dict[str, float]
YEAR = 365.25
MONTH = YEAR / 12


@dataclass(frozen=True)
class VisitPlan:
    id: str
    day: int
    before: int
    after: int
    period: str | None


@dataclass(frozen=True)
class DesignSetup:
    """What one scenario's simulated trials share."""

    protocol: Protocol
    file: DesignFile
    """The scenario's values."""
    pool: DeclaredPool
    units: tuple[str, str]
    """Allocation units (arm or sequence ids): the active (or active-first) one, the control
    (or control-first) one."""
    target: int
    visits: tuple[VisitPlan, ...]
    crossover: bool
    baseline: FloatArray | None = None
    """Per pool candidate, the score's baseline read from their record (``baseline_from``),
    NaN when they have none."""


def pool_for(protocol: Protocol, file: DesignFile, seed: int, size: int) -> DeclaredPool:
    """The screened pool, on its own stream (every worker builds the same one)."""
    population = file.population
    if population is None:
        raise ScenarioError([("population", "the whole-protocol path needs a population")])
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**32 - 1,)))
    pool = build(population, protocol, rng, size, protocol.status.start.date)
    if not pool.eligible.any():
        raise ScenarioError([("population", f"none of the {size} simulated candidates is "
                                            "eligible under the protocol's rules")])
    return pool


def check(protocol: Protocol) -> list[tuple[str, str]]:
    found = []
    if protocol.gates.committee:
        found.append(("", "the protocol declares a committee gate: simulate it with a "
                          "trialkit-scenarios/1 file (the reference model applies gates)"))
    if protocol.gates.sequential_enrolment:
        found.append(("", "the protocol declares sequential enrolment: simulate it with a "
                          "trialkit-scenarios/1 file (the reference model applies it)"))
    return found


def setup_for(protocol: Protocol, file: DesignFile, pool: DeclaredPool,
              units: tuple[str, str]) -> DesignSetup:
    randomization = protocol.randomization
    assert randomization is not None
    part = protocol.part(randomization.part)
    visits = tuple(VisitPlan(v.id, v.day, v.window.before, v.window.after, v.period)
                   for v in protocol.schedule.visits if v.day is not None)
    baseline = (latest_values(pool, protocol, file.outcomes.baseline_from)
                if file.outcomes.baseline_from else None)
    return DesignSetup(protocol, file, pool, units, part.enrolment_target, visits,
                       part.is_crossover, baseline)


def latest_values(pool: DeclaredPool, protocol: Protocol, target: str) -> FloatArray:
    """Each candidate's latest (by the table's date) value of ``table.column``."""
    table_id, _, column = target.partition(".")
    date = protocol.record_schema().table(table_id).date
    found = np.full(pool.size, np.nan)
    for i, data in enumerate(pool.data):
        rows = [r for r in data.get(table_id, []) if r.get(column) is not None]
        if rows:
            found[i] = float(max(rows, key=lambda r: str(r[date]))[column])
    return found


@dataclass(frozen=True)
class Enrolment:
    screened: int
    """Referrals screened until the part's target was enrolled."""
    chosen: tuple[int, ...]
    """Pool index of each randomized participant, in enrolment order."""
    units: tuple[str, ...]
    """The allocation unit (arm or sequence) of each randomized participant, in order."""
    day0: FloatArray


def enrol(setup: DesignSetup, rng: np.random.Generator) -> Enrolment:
    """Referrals until the part's target is enrolled, each a random member of the pool (its
    sampling distribution): the engine's verdict on that member decides. The enrolled are
    allocated by the protocol's own scheme and code (``allocate``)."""
    accrual = setup.file.accrual
    assert accrual is not None
    pool = setup.pool
    usable = pool.eligible & np.array([s is not None for s in pool.strata])
    picked: list[int] = []
    enrolled_at: list[int] = []
    while len(enrolled_at) < setup.target:
        for i in rng.integers(0, pool.size, 64):
            picked.append(int(i))
            if usable[i]:
                enrolled_at.append(len(picked) - 1)
                if len(enrolled_at) == setup.target:
                    break
    referral = np.cumsum(rng.exponential(MONTH / accrual.referrals_per_month.value,
                                         len(picked)))
    eligible = [picked[k] for k in enrolled_at]
    units = allocate(setup.protocol, [pool.strata[i] or () for i in eligible], rng)
    kept = np.array([u is not None for u in units])  # a full stratum refuses
    day0 = (referral[enrolled_at] + accrual.screening_days.value)[kept]
    return Enrolment(len(picked), tuple(i for i, ok in zip(eligible, kept, strict=True) if ok),
                     tuple(str(u) for u in units if u is not None), day0)


def simulate_trial(setup: DesignSetup, rng: np.random.Generator) -> Row:
    conduct = setup.file.conduct
    assert conduct is not None
    found = enrol(setup, rng)
    unit = np.array(found.units, dtype=object)
    day0, screened, chosen = found.day0, found.screened, found.chosen
    count = len(unit)
    rate = conduct.dropout_per_year.value
    leaves = rng.exponential(YEAR / rate, count) if rate > 0 else np.full(count, np.inf)
    visit_day = {v.id: v.day + rng.integers(-v.before, v.after + 1, count).astype(float)
                 for v in setup.visits}
    last = max(visit_day.values(), key=lambda d: float(d.mean()))
    finish = day0 + np.minimum(leaves, last)
    active = unit == setup.units[0]
    row: Row = {"screened": float(screened), "enrolled": float(count),
                "screen_failure": 1.0 - setup.target / screened,
                "duration_days": float(finish.max()),
                f"randomized.{setup.units[0]}": float(active.sum()),
                f"randomized.{setup.units[1]}": float((~active).sum()),
                "dropout": float((leaves < last).mean())}
    row.update(_outcomes(setup, rng, active, leaves, visit_day, np.array(chosen, dtype=int)))
    return row


def _outcomes(setup: DesignSetup, rng: np.random.Generator, active: BoolArray,
              leaves: FloatArray, visit_day: dict[str, FloatArray],
              chosen: npt.NDArray[np.int_]) -> Row:
    file = setup.file
    alpha, out, endpoints = file.alpha, file.outcomes, file.endpoints
    row: Row = {}
    if file.ordinal is not None:
        values = file.ordinal
        category, latent = ordinal.draw(rng, values.control_distribution,
                                        values.odds_ratio.value, active)
        n = len(active)
        baseline = rng.normal(values.score_baseline_mean.value, values.score_baseline_sd.value,
                              n)
        if setup.baseline is not None:  # the participant's own screening rating
            baseline = setup.baseline[chosen]
        change = (values.score_change.value + values.score_slope.value * latent
                  + rng.normal(0.0, values.score_noise.value, n))
        assert out.endpoint_visit is not None  # checked against the protocol
        rated = leaves > visit_day[out.endpoint_visit]  # rated at the endpoint visit
        for endpoint in endpoints:
            seen = rated  # each endpoint starts from everyone rated, whatever came before it
            if endpoint.analysis == "proportional_odds":
                p = ordinal.proportional_odds_test(category[seen], active[seen],
                                                   len(values.control_distribution), 1 - alpha)
            elif endpoint.analysis == "shift":
                p = ordinal.shift_test(category[active & seen], category[~active & seen])
            else:
                seen = seen & ~np.isnan(baseline)  # the ANCOVA needs the baseline rating
                p = ancova_difference(change[seen], active[seen], None, baseline[seen],
                                      1 - alpha).p_value
            row.update(_endpoint(endpoint.id, p, int(seen.sum()), alpha))
    if file.crossover is not None:
        cross = file.crossover
        # Active-first participants first, as the crossover analyses read them.
        order = np.argsort(~active, kind="stable")
        n_ab = int(active.sum())
        first, second = out.first_period_scans, out.second_period_scans
        counts = crossover.draw_counts(
            rng, n_ab, len(active) - n_ab, rate_per_scan=cross.lesions_per_scan.value,
            scans=len(first), frailty_shape=cross.frailty_shape.value,
            rate_ratio=cross.rate_ratio.value,
            period_ratio=cross.period_ratio.value * len(second) / len(first))
        ab = np.arange(len(active)) < n_ab
        for endpoint in endpoints:
            scans = first if endpoint.analysis == "first_period_negative_binomial" \
                else (*first, *second)
            # A participant counts when they are still in the trial at their period's last scan.
            seen = (leaves > np.max(np.column_stack([visit_day[v] for v in scans]), axis=1)
                    )[order]
            kept, n_kept = counts[seen], int((seen & ab).sum())
            try:
                if endpoint.analysis == "first_period_negative_binomial":
                    p = crossover.first_period_counts(kept, n_kept, len(first), 1 - alpha)[0] \
                        .p_value
                else:
                    p = crossover.within_participant_counts(kept, n_kept).p_value
            except (ValueError, ArithmeticError, np.linalg.LinAlgError):
                p = math.nan
            row.update(_endpoint(endpoint.id, p, int(seen.sum()), alpha))
    return row


def _endpoint(endpoint: str, p: float, n: int, alpha: float) -> Row:
    return {f"endpoint.{endpoint}.p": p, f"endpoint.{endpoint}.n": float(n),
            f"endpoint.{endpoint}.reject": float(p < alpha) if not math.isnan(p) else 0.0,
            f"endpoint.{endpoint}.failed": float(math.isnan(p))}


def trial_rng(seed: int, trial: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(trial,)))


def _chunk(setup: DesignSetup, seed: int, first: int, count: int) -> list[Row]:
    return [simulate_trial(setup, trial_rng(seed, t)) for t in range(first, first + count)]


def run_task(setups: Sequence[DesignSetup], seed: int, task: Task) -> tuple[Task, list[Row]]:
    """One task of the runner's kind (a scenario and a range of trials), for an engine that
    maps the runner's tasks (the CLI's Spark engine): the same rows as ``run``."""
    return task, _chunk(setups[task.scenario], seed, task.first, task.count)


def run(setup: DesignSetup, seed: int, trials: int, workers: int = 1) -> list[Row]:
    """Every trial's row in trial order; identical for any number of workers."""
    if workers <= 1:
        return _chunk(setup, seed, 0, trials)
    size = max(1, math.ceil(trials / (4 * workers)))
    starts = list(range(0, trials, size))
    with ProcessPoolExecutor(max_workers=workers) as executor:
        parts = list(executor.map(_chunk, [setup] * len(starts), [seed] * len(starts), starts,
                                  [min(size, trials - s) for s in starts]))
    return [row for part in parts for row in part]


@dataclass(frozen=True)
class Spread:
    mean: float
    mcse: float
    p10: float
    p50: float
    p90: float


def spread(values: Sequence[float]) -> Spread:
    data = np.asarray(values, dtype=float)
    sd = float(data.std(ddof=1)) if len(data) > 1 else 0.0
    p10, p50, p90 = (float(q) for q in np.percentile(data, [10, 50, 90]))
    return Spread(float(data.mean()), sd / math.sqrt(len(data)), p10, p50, p90)


@dataclass(frozen=True)
class WholeOC:
    """The whole-protocol characteristics of one scenario."""

    screened: Spread
    duration_months: Spread
    screen_failure: float
    """Pooled over trials: 1 - enrolled / screened."""
    pool_screen_failure: float
    """The pool's share the engine refused (the population's screen-failure rate)."""
    ruled_out_by: dict[str, int]
    randomized: dict[str, float]
    """Mean per allocation unit."""
    dropout: float


def whole_oc(setup: DesignSetup, rows: Sequence[Row]) -> WholeOC:
    screened = sum(r["screened"] for r in rows)
    chosen = sum(r["screened"] * (1 - r["screen_failure"]) for r in rows)
    return WholeOC(spread([r["screened"] for r in rows]),
                   spread([r["duration_days"] / MONTH for r in rows]),
                   1.0 - chosen / screened, 1.0 - setup.pool.eligible_rate,
                   dict(sorted(setup.pool.ruled_out_by.items(), key=lambda kv: -kv[1])),
                   {u: float(np.mean([r[f"randomized.{u}"] for r in rows]))
                    for u in setup.units},
                   float(np.mean([r["dropout"] for r in rows])))

