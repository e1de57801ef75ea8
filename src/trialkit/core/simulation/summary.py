"""Operating characteristics of a scenario from its simulated trials, each with its Monte
Carlo standard error (MCSE), as rpact and FACTS report them.

MCSEs follow Morris, White & Crowther (Stat Med 2019;38:2074-2102): a proportion p̂ (power,
type I error, P(stop), coverage) has sqrt(p̂(1-p̂)/N); a mean (bias, duration, patients
screened) has SD/sqrt(N); the empirical SE has empSE/sqrt(2(N-1)). Quantiles carry a
distribution-free 95 % interval from the order statistics. Power counts every simulated trial
(a trial stopped at the gate rejects nothing); "if analysed" conditions on the analysis having
run. Ratio endpoints are summarised on the log scale (bias of log rate ratio).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from trialkit.core.simulation.scenario_file import ChangeMeasure, NoActivityMeasure, RateMeasure
from trialkit.core.simulation.setup import Setup

FloatArray = npt.NDArray[np.float64]
Row = Mapping[str, float]


@dataclass(frozen=True)
class Estimate:
    value: float | None
    mcse: float | None


@dataclass(frozen=True)
class Quantiles:
    p10: float
    p50: float
    p90: float
    median_ci: tuple[float, float]


@dataclass(frozen=True)
class EndpointOC:
    endpoint: str
    method: str
    true_effect: float | None
    scale: str
    rejection: Estimate
    """P(p < alpha) over all simulated trials: power, or the type I error when the true
    effect is null."""
    rejection_if_analysed: Estimate
    favourable_rejection: Estimate
    bias: Estimate
    empirical_se: Estimate
    mean_ci_width: Estimate
    coverage: Estimate
    analysed: float
    fallback: float
    failed: float


@dataclass(frozen=True)
class ScenarioOC:
    scenario: str
    settings: dict[str, float]
    trials: int
    seed: int
    gate_stop: Estimate
    duration_days: Estimate
    duration_quantiles: Quantiles
    screened: Estimate
    screened_quantiles: Quantiles
    imbalance: Estimate
    stratum_imbalance: Estimate
    guess_rate: Estimate
    endpoints: tuple[EndpointOC, ...]
    safety: dict[str, Estimate]
    calibration: dict[str, Estimate]

    def as_data(self) -> dict[str, Any]:
        return asdict(self)


def summarise(setup: Setup, rows: Sequence[Row], seed: int) -> ScenarioOC:
    scenario = setup.scenario
    file = scenario.values

    def column(name: str) -> FloatArray:
        return np.array([row.get(name, np.nan) for row in rows], dtype=float)
    endpoints = tuple(_endpoint(setup, e.id, column) for e in file.endpoints)
    safety = {name: mean(column(name)) for name in sorted({k for row in rows for k in row
                                                          if k.startswith("safety.")})}
    calibration = {name: mean(column(name)) for name in ("control.relapse_rate",
                                                          "control.enhancing_per_scan")}
    return ScenarioOC(
        scenario.id, dict(scenario.settings), len(rows), seed, proportion(column("gate.stopped")),
        mean(column("duration_days")), quantiles(column("duration_days")),
        mean(column("screened")), quantiles(column("screened")),
        mean(column("allocation.imbalance")), mean(column("allocation.stratum_imbalance")),
        mean(column("allocation.guess_rate")), endpoints, safety, calibration)


def _endpoint(setup: Setup, endpoint_id: str, column: Any) -> EndpointOC:
    file = setup.file
    endpoint = next(e for e in file.endpoints if e.id == endpoint_id)
    prefix = f"endpoint.{endpoint_id}"
    estimate, lower, upper = (column(f"{prefix}.{name}") for name in ("estimate", "lower",
                                                                        "upper"))
    reject = np.nan_to_num(column(f"{prefix}.reject"))
    analysed = ~np.isnan(estimate)
    truth, ratio = true_effect(setup, endpoint_id)
    log = ratio and bool(np.all(estimate[analysed] > 0))
    shown = np.log(estimate) if log else estimate
    target = math.log(truth) if (log and truth) else truth
    # The direction of benefit: less worsening, fewer events; more participants free of
    # activity.
    sign = -1.0 if isinstance(endpoint.measure, NoActivityMeasure) else 1.0
    favourable = reject.astype(bool) & (sign * np.nan_to_num(shown) < 0)
    covered = (lower <= (truth if truth is not None else np.nan)) & (
        upper >= (truth if truth is not None else np.nan))
    return EndpointOC(
        endpoint_id, endpoint.method, truth, "log ratio" if log else "difference",
        proportion(reject), proportion(reject[analysed]), proportion(favourable.astype(float)),
        mean(shown[analysed] - target) if target is not None else Estimate(None, None),
        empirical_se(shown[analysed]), mean((np.log(upper) - np.log(lower) if log
                                             else upper - lower)[analysed]),
        proportion(covered[analysed].astype(float)) if truth is not None
        else Estimate(None, None),
        float(analysed.mean()), float(np.nanmean(column(f"{prefix}.fallback"))),
        float(np.nanmean(column(f"{prefix}.failed"))))


def true_effect(setup: Setup, endpoint_id: str) -> tuple[float | None, bool]:
    """The effect the endpoint's estimate targets in this scenario, and whether it is a
    ratio. A change's target is the expected difference of the latent change between the
    arms: the disability effect, plus what fewer (or more) relapses do to it (``relapsing``)."""
    file = setup.file
    endpoint = next(e for e in file.endpoints if e.id == endpoint_id)
    measure, effects = endpoint.measure, file.effects
    if isinstance(measure, ChangeMeasure):
        days = {visit.id: visit.day for visit in setup.plan.visits}
        indirect = relapsing(setup, days[measure.to_visit]) - relapsing(
            setup, days[measure.from_visit])
        return (effects.disability_change.value
                + (effects.relapse_rate_ratio.value - 1.0) * indirect), False
    if isinstance(measure, RateMeasure):
        return effects.relapse_rate_ratio.value, True
    if isinstance(measure, NoActivityMeasure):
        return None, False
    return effects.lesion_rate_ratio.value, True


def relapsing(setup: Setup, day: float) -> float:
    """Expected disability added by day ``day`` by the relapses since day 0 of an untreated
    participant drawn from the eligible candidates: rate × ∫ (residual + peak e^(-u/τ)) du."""
    population, pool = setup.file.population, setup.pool
    rate = float(np.mean(np.array(population.relapses_per_year.value)[pool.course[
        setup.eligible]] * pool.frailty[setup.eligible]))
    tau = population.relapse_recovery_days.value
    per_relapse_days = (population.relapse_residual.value * day
                        + population.relapse_peak.value * tau * (1 - math.exp(-day / tau)))
    return rate / 365.25 * per_relapse_days


def proportion(values: FloatArray) -> Estimate:
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return Estimate(None, None)
    p = float(values.mean())
    return Estimate(p, math.sqrt(p * (1 - p) / len(values)))


def mean(values: FloatArray) -> Estimate:
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return Estimate(None, None)
    spread = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return Estimate(float(values.mean()), spread / math.sqrt(len(values)))


def empirical_se(values: FloatArray) -> Estimate:
    if len(values) < 2:
        return Estimate(None, None)
    se = float(values.std(ddof=1))
    return Estimate(se, se / math.sqrt(2 * (len(values) - 1)))


def quantiles(values: FloatArray) -> Quantiles:
    values = np.sort(values[~np.isnan(values)])
    if len(values) == 0:
        return Quantiles(np.nan, np.nan, np.nan, (np.nan, np.nan))
    n = len(values)
    low = int(stats.binom.ppf(0.025, n, 0.5))
    high = min(int(stats.binom.ppf(0.975, n, 0.5)), n - 1)
    p10, p50, p90 = (float(q) for q in np.quantile(values, (0.1, 0.5, 0.9)))
    return Quantiles(p10, p50, p90, (float(values[max(low - 1, 0)]), float(values[high])))
