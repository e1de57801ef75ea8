"""Shared pieces of the synthetic generator: the patients of one chunk and row assembly.

Dates are integer days since 1970-01-01 (``ref`` is the reference date, the day the extract is
taken). Nullable values are float64 with NaN. Events are kept only inside the patient's
observation period, as an extract would have them.
"""

from __future__ import annotations

import numpy as np

from trialkit.prescreen._synth_plan import SynthPlan
from trialkit.prescreen._synth_schema import EHR_TYPE, Columns

YEAR = 365.25
NAN = np.nan
COURSES = (("SNOMED", "426373005"), ("SNOMED", "425500002"), ("SNOMED", "428700003"),
           ("SNOMED", "24700007"))
COURSE_P = (0.62, 0.22, 0.10, 0.06)


def uniform_days(rng: np.random.Generator, low: np.ndarray | float, high: np.ndarray | float,
                  size: int) -> np.ndarray:
    return np.floor(rng.uniform(low, high, size)).astype(np.int64)


class Patients:
    def __init__(self, rng: np.random.Generator, first: int, n: int, ref: int,
                 plan: SynthPlan) -> None:
        self.rng, self.n, self.ref, self.plan = rng, n, ref, plan
        self.person_id = np.arange(first, first + n, dtype=np.int64)
        self.female = rng.random(n) < 0.7
        age_years = np.clip(rng.normal(42, 12, n), 16, 80)
        self.birth = ref - (age_years * YEAR).astype(np.int64)
        span = uniform_days(rng, YEAR, 25 * YEAR, n)
        # A quarter of the patients have been through a screening clinic: every question
        # answered, labs taken inside the window, records complete. The rest are EHR-only.
        self.screened = rng.random(n) < 0.25
        # Some sources hold a patient's whole history (e.g. a national registry linkage);
        # only they can prove the absence of a lifetime diagnosis.
        lifetime = self.screened | (rng.random(n) < 0.3)
        self.obs_start = np.where(lifetime, self.birth, np.maximum(ref - span, self.birth))
        ends_early = ~self.screened & (rng.random(n) < 0.15)
        self.obs_end = np.where(ends_early, ref - uniform_days(rng, 20, 730, n), ref)
        self.course = rng.choice(len(COURSES), size=n, p=COURSE_P)

    def cid(self, key: tuple[str, str]) -> int:
        return self.plan.concepts.id(key)

    def keep(self, who: np.ndarray, day: np.ndarray) -> np.ndarray:
        inside: np.ndarray = (day >= self.obs_start[who]) & (day <= self.obs_end[who])
        return inside

    def recent_events(self, rate_per_year: np.ndarray, years: float) -> tuple[np.ndarray, ...]:
        """Poisson-many events per patient, uniform over the last ``years`` before ``ref``."""
        counts = self.rng.poisson(rate_per_year * years)
        who = np.repeat(np.arange(self.n), counts)
        day = self.ref - uniform_days(self.rng, 0, years * YEAR, len(who))
        keep = self.keep(who, day)
        return who[keep], day[keep]


def rows(p: Patients, who: np.ndarray, day: np.ndarray, **columns: np.ndarray | int) -> Columns:
    rows: Columns = {"person_id": p.person_id[who], "date": day}
    for name, value in columns.items():
        rows[name] = value if isinstance(value, np.ndarray) else np.full(len(who), value)
    return rows


def concat(parts: list[Columns], type_column: str, date_column: str) -> Columns:
    if not parts:  # a protocol that declares nothing for this table
        empty = np.zeros(0, dtype=np.int64)
        return {"person_id": empty, date_column: empty,
                type_column: np.zeros(0, dtype=np.int32)}
    names = {name for part in parts for name in part}
    out: Columns = {}
    for name in sorted(names):
        out[name] = np.concatenate([
            part.get(name, np.full(len(part["person_id"]), NAN)) for part in parts])
    out[date_column] = out.pop("date")
    out[type_column] = np.full(len(out["person_id"]), EHR_TYPE, dtype=np.int32)
    return out
