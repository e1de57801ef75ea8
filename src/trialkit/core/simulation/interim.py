"""In the trial: conditional power and the predicted end date from the data so far.

Both are pure functions of the observed data (the unblinded statistician's page passes it;
nothing here reads a database).

- ``conditional_power``: the probability that the final two-sided test of a difference in
  means rejects, given the responses observed so far in each arm and the planned numbers,
  under an assumed effect (default: the current trend). ``method="analytic"`` is the
  B-value formula (Lan & Wittes, Biometrics 1988;44:579-585) with the pooled SD plugged in;
  ``method="simulation"`` draws the missing responses and runs the trial's own analysis (the
  two-sample t test on all responses), so it accounts for the t distribution and an SD that
  is itself estimated.
- ``predicted_end``: when the last participant's last visit falls, if the remaining
  participants enrol at the rate seen so far (a Gamma posterior for the rate: uncertainty
  about it widens the interval) and each is followed for the protocol's last visit day.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from trialkit.core.protocol.model import Protocol

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ConditionalPower:
    power: float
    mcse: float | None
    """Monte Carlo SE (simulation method)."""
    effect: float
    """The effect assumed for the participants still to come."""
    sd: float
    z_now: float
    information_fraction: float
    method: str


def conditional_power(active: Sequence[float], control: Sequence[float], *,
                      planned_active: int, planned_control: int, alpha: float = 0.05,
                      effect: float | None = None, sd: float | None = None,
                      method: Literal["analytic", "simulation"] = "analytic",
                      simulations: int = 10_000, rng: np.random.Generator | None = None
                      ) -> ConditionalPower:
    """Conditional power of the final test of active − control."""
    a, c = np.asarray(active, dtype=float), np.asarray(control, dtype=float)
    if len(a) < 2 or len(c) < 2:
        raise ValueError("active, control: at least two observed responses in each arm")
    if planned_active < len(a) or planned_control < len(c):
        raise ValueError("planned_active, planned_control: at least the numbers observed")
    spread = sd if sd is not None else _pooled_sd(a, c)
    assumed = effect if effect is not None else float(a.mean() - c.mean())
    z_now = float((a.mean() - c.mean()) / (spread * math.sqrt(1 / len(a) + 1 / len(c))))
    fraction = (1 / planned_active + 1 / planned_control) / (1 / len(a) + 1 / len(c))
    if method == "simulation":
        power, mcse = _simulated(a, c, planned_active, planned_control, alpha, assumed,
                                 spread, simulations, rng or np.random.default_rng())
    else:
        power, mcse = _analytic(z_now, fraction, assumed, spread, planned_active,
                                planned_control, alpha), None
    return ConditionalPower(power, mcse, assumed, spread, z_now, fraction, method)


def _pooled_sd(a: FloatArray, c: FloatArray) -> float:
    return float(np.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(c) - 1) * c.var(ddof=1))
                         / (len(a) + len(c) - 2)))


def _analytic(z_now: float, fraction: float, effect: float, sd: float, n_active: int,
              n_control: int, alpha: float) -> float:
    """B-value: Z_final = sqrt(t) Z_now + N(theta (1 - t) sqrt(I), 1 - t) / 1 on the final
    information scale, t the information fraction."""
    drift = effect / (sd * math.sqrt(1 / n_active + 1 / n_control))
    mean = math.sqrt(fraction) * z_now + drift * (1 - fraction)
    spread = math.sqrt(1 - fraction)
    critical = float(stats.norm.isf(alpha / 2))
    if spread == 0:
        return float(abs(mean) > critical)
    return float(stats.norm.sf((critical - mean) / spread)
                 + stats.norm.cdf((-critical - mean) / spread))


def _simulated(a: FloatArray, c: FloatArray, n_active: int, n_control: int, alpha: float,
               effect: float, sd: float, simulations: int, rng: np.random.Generator
               ) -> tuple[float, float]:
    base = float(c.mean())
    more_a = rng.normal(base + effect, sd, (simulations, n_active - len(a)))
    more_c = rng.normal(base, sd, (simulations, n_control - len(c)))
    all_a = np.concatenate([np.broadcast_to(a, (simulations, len(a))), more_a], axis=1)
    all_c = np.concatenate([np.broadcast_to(c, (simulations, len(c))), more_c], axis=1)
    p = stats.ttest_ind(all_a, all_c, axis=1).pvalue
    power = float(np.mean(p < alpha))
    return power, math.sqrt(power * (1 - power) / simulations)


@dataclass(frozen=True)
class EndPrediction:
    median: dt.date
    p10: dt.date
    p90: dt.date
    remaining: int
    rate_per_month: float
    """Observed enrolment rate (participants per month)."""


def last_visit_day(protocol: Protocol) -> int:
    """The latest study day of a scheduled visit, window included."""
    return max(v.day + v.window.after for v in protocol.schedule.visits if v.day is not None)


def predicted_end(*, today: dt.date, opened: dt.date, day0_dates: Sequence[dt.date],
                  target: int, follow_days: int, simulations: int = 10_000,
                  rng: np.random.Generator | None = None) -> EndPrediction:
    """The date of the last participant's last visit: ``day0_dates`` are the enrolled
    participants' day-0 dates since the part ``opened``; ``target`` is the part's enrolment
    target; ``follow_days`` the study day of the last visit (``last_visit_day``)."""
    enrolled = len(day0_dates)
    if enrolled > target:
        raise ValueError(f"day0_dates: {enrolled} enrolled exceeds the target {target}")
    elapsed = max((today - opened).days, 1)
    last_known = max((d + dt.timedelta(days=follow_days) for d in day0_dates), default=today)
    remaining = target - enrolled
    if remaining == 0:
        return EndPrediction(last_known, last_known, last_known, 0, enrolled / elapsed * 30.4375)
    generator = rng or np.random.default_rng()
    # Gamma posterior of the daily rate (a vague Gamma(0.5, 0) prior: Jeffreys).
    rates = generator.gamma(enrolled + 0.5, 1.0 / elapsed, simulations)
    waits = generator.gamma(remaining, 1.0, simulations) / rates
    ends = np.array([max(last_known, today + dt.timedelta(days=float(w) + follow_days))
                     for w in waits])
    ordered = np.sort(ends)

    def at(q: float) -> dt.date:
        found: dt.date = ordered[min(int(q * simulations), simulations - 1)]
        return found
    return EndPrediction(at(0.5), at(0.1), at(0.9), remaining, enrolled / elapsed * 30.4375)
