"""The patients of one cohort chunk: demographics, observation periods, course, and helpers.

Dates are integer days since 1970-01-01 (``ref`` is the reference date: the day an extract is
taken, or a candidate's planned day 0). Nullable values are float64 with NaN. Events are kept
only inside the patient's observation period, as a source would hold them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

YEAR = 365.25
NAN = np.nan
COURSES = (("SNOMED", "426373005"), ("SNOMED", "425500002"), ("SNOMED", "428700003"),
           ("SNOMED", "24700007"))
"""Relapsing-remitting, secondary progressive, primary progressive, unspecified MS."""
COURSE_P = (0.62, 0.22, 0.10, 0.06)

Array = npt.NDArray[Any]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Columns = dict[str, Array]
"""Rows of one part: ``who`` (index of the patient in the chunk), ``date`` and value columns."""


@dataclass(frozen=True)
class Scale:
    """The score's range and, if the scale has steps, its allowed values."""

    low: float
    high: float
    allowed: tuple[float, ...]


def uniform_days(rng: np.random.Generator, low: Array | float, high: Array | float,
                 size: int) -> IntArray:
    days: IntArray = np.floor(rng.uniform(low, high, size)).astype(np.int64)
    return days


class Patients:
    """Who the patients of a chunk are; every later draw reads these arrays."""

    def __init__(self, rng: np.random.Generator, first: int, n: int, ref: int,
                 screened_share: float, course_p: tuple[float, ...],
                 frailty: npt.NDArray[np.float64] | None) -> None:
        self.rng, self.n, self.ref = rng, n, ref
        self.person_id = np.arange(first, first + n, dtype=np.int64)
        self.female = rng.random(n) < 0.7
        age_years = np.clip(rng.normal(42, 12, n), 16, 80)
        self.birth = ref - (age_years * YEAR).astype(np.int64)
        span = uniform_days(rng, YEAR, 25 * YEAR, n)
        # Some patients have been through a screening clinic: every question answered, labs
        # taken inside the window, records complete. The rest are EHR-only.
        self.screened = rng.random(n) < screened_share
        # Some sources hold a patient's whole history (e.g. a national registry linkage);
        # only they can prove the absence of a lifetime diagnosis.
        lifetime = self.screened | (rng.random(n) < 0.3)
        self.obs_start = np.where(lifetime, self.birth, np.maximum(ref - span, self.birth))
        ends_early = ~self.screened & (rng.random(n) < 0.15)
        self.obs_end = np.where(ends_early, ref - uniform_days(rng, 20, 730, n), ref)
        self.course: IntArray = rng.choice(len(course_p), size=n, p=course_p)
        self.frailty = np.ones(n) if frailty is None else np.asarray(frailty, dtype=float)
        if self.frailty.shape != (n,):
            raise ValueError(f"frailty: expected {n} values, got shape {self.frailty.shape}")
        self.score_baseline = np.full(n, NAN)
        """The latent score on the reference day (set when scores are drawn)."""
        self.score_slope = np.zeros(n)

    def keep(self, who: Array, day: Array) -> BoolArray:
        inside: BoolArray = (day >= self.obs_start[who]) & (day <= self.obs_end[who])
        return inside

    def recent_events(self, rate_per_year: Array, years: float) -> tuple[IntArray, IntArray]:
        """Poisson-many events per patient, uniform over the last ``years`` before ``ref``."""
        counts = self.rng.poisson(rate_per_year * years)
        who: IntArray = np.repeat(np.arange(self.n), counts)
        day = self.ref - uniform_days(self.rng, 0, years * YEAR, len(who))
        keep = self.keep(who, day)
        return who[keep], day[keep]


def part(who: Array, day: Array, **columns: Array | float | int) -> Columns:
    """Rows of one part; a scalar column is repeated on every row."""
    rows: Columns = {"who": who, "date": day}
    for name, value in columns.items():
        rows[name] = value if isinstance(value, np.ndarray) else np.full(len(who), value)
    return rows


def inside(p: Patients, rows: Columns) -> Columns:
    """The rows dated inside their patient's observation period."""
    keep = p.keep(rows["who"], rows["date"])
    return {name: values[keep] for name, values in rows.items()}
