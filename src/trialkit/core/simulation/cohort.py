"""Synthetic candidates with a disease history: the patient-generation half of the cohort
synthesizer, in numpy only.

Every patient is drawn from one plain model (sex, age, observation period, disease course,
relapse-like events, scans with lesion-like counts, a disability score, screening labs,
comorbidities, medication history, attestations) with the gaps real sources have. The result
is neutral: codes are indexes into the tables below and dates are integer days since
1970-01-01, so two writers share it: ``trialkit.prescreen.synth`` turns a cohort into OMOP
tables, and ``simulation.candidates`` into patient records that the eligibility engine screens.

The disease rates are arguments (``DiseaseRates``): the OMOP synthesizer passes fixed rates by
course, the in-silico trial passes rates scaled by each patient's frailty, so the history a
candidate is selected on comes from the same process as their course in the trial (that is
where regression to the mean comes from). The order of random draws is part of the contract:
the same seed and arguments give the same cohort, and the OMOP files stay byte-identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from trialkit.core.simulation import cohort_background as background
from trialkit.core.simulation import cohort_history as history
from trialkit.core.simulation.cohort_base import (
    COURSE_P,
    YEAR,
    Columns,
    Patients,
    Scale,
)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DiseaseRates:
    """Per course (relapsing, secondary progressive, primary progressive, unknown): the rate
    of events per year, of each count column per scan, and the score's baseline range, yearly
    slope and rating noise. ``frailty`` (one value per patient, mean 1) multiplies the event
    and count rates; ``None`` means 1 for everyone."""

    events_per_year: tuple[float, ...] = (0.55, 0.25, 0.05, 0.3)
    counts_per_scan: tuple[tuple[float, ...], ...] = ((0.35, 0.15, 0.05, 0.2),
                                                      (0.6, 0.3, 0.15, 0.3))
    score_low: tuple[float, ...] = (1.0, 4.0, 3.0, 1.5)
    score_high: tuple[float, ...] = (4.0, 6.5, 6.5, 5.0)
    score_slope: tuple[float, ...] = (0.1, 0.3, 0.3, 0.15)
    score_noise: float = 0.4
    frailty: FloatArray | None = field(default=None, compare=False)


@dataclass(frozen=True)
class CohortSpec:
    """What to generate: which disease tables the reading protocol has, and the gaps."""

    events: bool = False
    """A relapse-like event log."""
    scans: bool = False
    """Scans (dated rows)."""
    counts: int = 0
    """Count columns read on each scan."""
    scale: Scale | None = None
    """A disability score on this scale, or none."""
    attestations: tuple[tuple[str, float, float], ...] = ()
    """(key, probability answered, probability "yes" when answered)."""
    screened_share: float = 0.25
    """Share of patients seen at a screening clinic: complete, recent data."""
    course_p: tuple[float, ...] = COURSE_P
    diagnosis_days: tuple[float, float] = (180, 25 * YEAR)
    """Range of days from the diagnosis to the reference day (uniform)."""
    rates: DiseaseRates = DiseaseRates()


@dataclass(frozen=True)
class Cohort:
    """One chunk of patients and their rows, in the order the synthesizer writes them.

    ``labs`` parts: who, date, test (index into ``cohort_history.LAB_CODES``), value, unit
    (index into ``UNITS``, -1 none), range_high, positive (hCG: 1/0, else NaN). ``counts``: one
    part per count column (who, date, value); ``scans``, ``events``: who, date; ``scores``:
    who, date, value; ``attestations``: who, date, key (index into the spec's keys), yes.
    ``conditions``: who, date, end (NaN open), snomed, icd10 (indexes into
    ``cohort_background.CONDITION_CODES``, -1 none). ``drugs``: who, date, end, ingredient
    (index into ``cohort_background.DRUGS``).
    """

    patients: Patients
    labs: list[Columns]
    counts: list[Columns]
    scans: Columns | None
    scores: Columns | None
    events: Columns | None
    attestations: Columns | None
    birth_year_only: npt.NDArray[np.bool_]
    conditions: list[Columns]
    drugs: list[Columns]


def generate(rng: np.random.Generator, *, first_person_id: int, n: int, reference_day: int,
             spec: CohortSpec) -> Cohort:
    """``n`` patients with ids from ``first_person_id``, as of ``reference_day``."""
    p = Patients(rng, first_person_id, n, reference_day, spec.screened_share, spec.course_p,
                 spec.rates.frailty)
    labs = history.labs(p)
    counts, scans = history.scans(p, spec) if spec.scans or spec.counts else ([], None)
    scores = history.scores(p, spec) if spec.scale is not None else None
    events = history.events(p, spec.rates.events_per_year) if spec.events else None
    answers = history.attestations(p, spec.attestations) if spec.attestations else None
    year_only = background.birth_year_only(p)
    conditions = background.conditions(p, spec.diagnosis_days)
    drugs = background.drugs(p)
    return Cohort(p, labs, counts, scans, scores, events, answers, year_only, conditions, drugs)
