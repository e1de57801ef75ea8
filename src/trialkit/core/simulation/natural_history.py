"""The disease course of enrolled participants from day 0, vectorised over participants.

- **Frailty**: each candidate carries a Gamma(k, 1/k) frailty Z (mean 1) from the candidate
  pool; it multiplies the relapse rate and both lesion rates, before and after day 0, so
  relapses and lesions are correlated and candidates selected on recent activity regress
  towards the mean in the trial.
- **Relapses**: a Poisson process at rate r(course) · Z · RR(arm) per year from day 0 until
  the participant leaves the trial (dropout or the last visit).
- **Disability**: the latent score continues from its value on the planned day 0 along the
  course's slope plus the participant's own deviation (SD ``disability_slope_sd``); an active
  arm's effect is added linearly until ``full_effect_day``; each relapse adds
  ``relapse_peak`` that decays (time constant ``relapse_recovery_days``) to a permanent
  ``relapse_residual``. A rating is the latent score plus noise (``rating_noise``), on the
  protocol's scale (its allowed values, else its range).
- **Lesions**: at each scan, enhancing lesions ~ Poisson(g(course) · Z · RR) and new lesions ~
  Poisson(n(course) · Z · RR · years since the previous scan, or since day 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trialkit.core.simulation.cohort_base import Scale
from trialkit.core.simulation.cohort_history import on_scale
from trialkit.core.simulation.scenario_file import ScenarioFile

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
YEAR = 365.25


@dataclass(frozen=True)
class People:
    """The participants whose course is simulated (one value each)."""

    course: IntArray
    frailty: FloatArray
    disability: FloatArray
    """Latent score on day 0."""
    slope: FloatArray
    """Yearly slope of their course."""
    active: npt.NDArray[np.bool_]
    """In the arm whose effects the scenario states."""
    leaves: FloatArray
    """Study day they leave the trial (dropout, else after their last visit)."""


@dataclass(frozen=True)
class Course:
    relapse_who: IntArray
    relapse_day: FloatArray
    disability: FloatArray
    """Ratings at the rating visits (participants × visits), NaN when not rated."""
    enhancing: FloatArray
    new: FloatArray
    """Counts at the scan visits (participants × visits), NaN when not scanned."""


def simulate(rng: np.random.Generator, file: ScenarioFile, scale: Scale, people: People,
             rating_days: FloatArray, scan_days: FloatArray) -> Course:
    """``rating_days`` and ``scan_days`` hold each participant's study day of each rating or
    scan visit (NaN: missed, or after they left)."""
    who, day = _relapses(rng, file, people)
    latent = _latent(rng, file, people, rating_days, who, day)
    noise = rng.normal(0.0, file.population.rating_noise.value, latent.shape)
    ratings = np.where(np.isnan(rating_days), np.nan, _on_scale(latent + noise, scale))
    enhancing, new = _lesions(rng, file, people, scan_days)
    return Course(who, day, ratings, enhancing, new)


def _relapses(rng: np.random.Generator, file: ScenarioFile, people: People
              ) -> tuple[IntArray, FloatArray]:
    rate = (np.array(file.population.relapses_per_year.value)[people.course] * people.frailty
            * np.where(people.active, file.effects.relapse_rate_ratio.value, 1.0))
    counts = rng.poisson(rate * people.leaves / YEAR)
    who = np.repeat(np.arange(len(rate)), counts).astype(np.int64)
    day: FloatArray = rng.random(len(who)) * people.leaves[who]
    return who, day


def _latent(rng: np.random.Generator, file: ScenarioFile, people: People,
            days: FloatArray, who: IntArray, day: FloatArray) -> FloatArray:
    population, effects = file.population, file.effects
    slope = people.slope + rng.normal(0.0, population.disability_slope_sd.value,
                                      len(people.slope))
    t = np.nan_to_num(days)
    latent = people.disability[:, None] + slope[:, None] * t / YEAR
    ramp = np.clip(t / effects.full_effect_day.value, 0.0, 1.0)
    latent += np.where(people.active, effects.disability_change.value, 0.0)[:, None] * ramp
    since = t[who] - day[:, None]  # relapses × visits: days from each relapse to each visit
    bump = np.where(since >= 0, population.relapse_residual.value + population.relapse_peak.value
                    * np.exp(-np.maximum(since, 0) / population.relapse_recovery_days.value),
                    0.0)
    np.add.at(latent, who, bump)
    result: FloatArray = latent
    return result


def _on_scale(values: FloatArray, scale: Scale) -> FloatArray:
    clipped = np.clip(values, scale.low, scale.high)
    if not scale.allowed:
        return clipped
    rated: FloatArray = on_scale(clipped.ravel(), scale.allowed).reshape(values.shape)
    return rated


def _lesions(rng: np.random.Generator, file: ScenarioFile, people: People,
             days: FloatArray) -> tuple[FloatArray, FloatArray]:
    population = file.population
    scale = people.frailty * np.where(people.active, file.effects.lesion_rate_ratio.value, 1.0)
    enhancing_rate = np.array(population.enhancing_per_scan.value)[people.course] * scale
    new_rate = np.array(population.new_lesions_per_year.value)[people.course] * scale
    scanned = ~np.isnan(days)
    previous = np.zeros(len(days))
    intervals = np.zeros(days.shape)
    for v in range(days.shape[1]):  # the years since each participant's previous scan
        here = np.where(scanned[:, v], days[:, v], previous)
        intervals[:, v] = np.where(scanned[:, v], (here - previous) / YEAR, 0.0)
        previous = here
    enhancing = rng.poisson(enhancing_rate[:, None] * np.ones(days.shape)).astype(float)
    new = rng.poisson(new_rate[:, None] * intervals).astype(float)
    return np.where(scanned, enhancing, np.nan), np.where(scanned, new, np.nan)
