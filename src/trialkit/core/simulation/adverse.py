"""Adverse events of simulated participants: by route and cause, with grades and seriousness.

- Each term of the scenario's safety section applies to the administrations of its route:
  ``product`` terms after a real administration of an active arm's product, ``procedure``
  terms after the procedure itself (a sham one at ``sham_factor`` of the risk). They are
  related to study treatment and not serious; their grade follows the term's shares.
- A participant of an active arm has a serious event related to study treatment with the
  scenario's ``related_serious_risk``, a few days after one of their active administrations:
  the true rate a committee's stopping rule is about.
- Unrelated events arrive at a constant rate over follow-up; some are serious.
Days are study days of the participant (day 0 = their day-0 administration).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trialkit.core.simulation.plan import Dose
from trialkit.core.simulation.scenario_file import AdverseTerm, Safety

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
RELATED_SERIOUS, BACKGROUND = -1, -2
"""``term`` of a related serious event and of an unrelated one (others index the terms)."""
YEAR = 365.25


@dataclass(frozen=True)
class AdverseEvents:
    who: IntArray
    onset: IntArray
    end: IntArray
    serious: BoolArray
    related: BoolArray
    grade: IntArray
    term: IntArray

    def of(self, mask: BoolArray) -> AdverseEvents:
        return AdverseEvents(*(getattr(self, name)[mask] for name in _FIELDS))


_FIELDS = ("who", "onset", "end", "serious", "related", "grade", "term")


def draw(rng: np.random.Generator, safety: Safety, doses: tuple[Dose, ...],
         arms: list[str], dose_days: IntArray, follow_days: npt.NDArray[np.float64]
         ) -> AdverseEvents:
    """Every adverse event of the participants; ``dose_days`` (participants × doses) is the
    study day each administration was given, -1 if it was not."""
    parts = [_term_events(rng, safety.terms, doses, arms, dose_days),
             _related_serious(rng, safety, doses, arms, dose_days),
             _background(rng, safety, follow_days)]
    return AdverseEvents(*(np.concatenate([getattr(p, name) for p in parts])
                           for name in _FIELDS))


def _term_events(rng: np.random.Generator, terms: tuple[AdverseTerm, ...],
                 doses: tuple[Dose, ...], arms: list[str], dose_days: IntArray
                 ) -> AdverseEvents:
    """Every term after every administration at once: risk is terms × participants × doses."""
    if not terms:
        nothing = np.zeros(0, dtype=np.int64)
        return AdverseEvents(nothing, nothing, nothing, nothing.astype(bool),
                             nothing.astype(bool), nothing, nothing)
    names, arm_index = np.unique(np.array(arms, dtype=object), return_inverse=True)
    risk = np.zeros((len(terms), *dose_days.shape))
    for t, spec in enumerate(terms):
        for d, dose in enumerate(doses):
            if dose.route == spec.route:
                factors = np.array([_factor(spec, dose, arm) for arm in names])
                risk[t, :, d] = factors[arm_index] * spec.risk.value if len(names) else 0.0
    risk *= dose_days >= 0
    which, who, given = np.nonzero(rng.random(risk.shape) < risk)
    onset = dose_days[who, given] + rng.integers(0, 3, len(who))
    shares = np.cumsum([spec.grades.value for spec in terms], axis=1).reshape(-1, 4)
    grade = 1 + (rng.random(len(who))[:, None] >= shares[which]).sum(axis=1).clip(max=3)
    return AdverseEvents(who.astype(np.int64), onset, onset + rng.integers(1, 8, len(who)),
                         np.zeros(len(who), dtype=bool), np.ones(len(who), dtype=bool),
                         grade.astype(np.int64), which.astype(np.int64))


def _factor(term: AdverseTerm, dose: Dose, arm: str) -> float:
    if term.cause == "product":
        return 1.0 if arm in dose.active else 0.0
    procedure = dose.procedure.get(arm, "none")
    if procedure == "real":
        return 1.0
    if procedure == "sham" and term.sham_factor is not None:
        return term.sham_factor.value
    return 0.0


def _related_serious(rng: np.random.Generator, safety: Safety, doses: tuple[Dose, ...],
                     arms: list[str], dose_days: IntArray) -> AdverseEvents:
    active = np.array([[arm in dose.active for dose in doses] for arm in arms],
                      dtype=bool).reshape(len(arms), len(doses)) & (dose_days >= 0)
    has = (rng.random(len(arms)) < safety.related_serious_risk.value) & active.any(axis=1)
    who = np.flatnonzero(has)
    # One of the participant's active administrations, each equally likely.
    pick = rng.random(len(who))
    cumulative = np.cumsum(active[who], axis=1) / np.maximum(active[who].sum(axis=1), 1)[:, None]
    chosen = (cumulative <= pick[:, None]).sum(axis=1)
    onset = dose_days[who, chosen] + rng.integers(0, 7, len(who))
    return AdverseEvents(who.astype(np.int64), onset, onset + _open_days(rng, safety, len(who)),
                         np.ones(len(who), dtype=bool), np.ones(len(who), dtype=bool),
                         np.full(len(who), 3, dtype=np.int64),
                         np.full(len(who), RELATED_SERIOUS, dtype=np.int64))


def _background(rng: np.random.Generator, safety: Safety,
                follow_days: npt.NDArray[np.float64]) -> AdverseEvents:
    counts = rng.poisson(safety.background_per_year.value * follow_days / YEAR)
    who = np.repeat(np.arange(len(follow_days)), counts)
    onset = np.floor(rng.random(len(who)) * follow_days[who]).astype(np.int64)
    serious = rng.random(len(who)) < safety.background_serious.value
    grade = np.where(serious, 3, 1 + (rng.random(len(who)) < 0.3))
    end = onset + np.where(serious, _open_days(rng, safety, len(who)),
                           rng.integers(1, 15, len(who)))
    return AdverseEvents(who.astype(np.int64), onset, end, serious,
                         np.zeros(len(who), dtype=bool), grade.astype(np.int64),
                         np.full(len(who), BACKGROUND, dtype=np.int64))


def _open_days(rng: np.random.Generator, safety: Safety, size: int) -> IntArray:
    days: IntArray = 1 + np.floor(rng.exponential(safety.serious_resolution_days.value, size)
                                  ).astype(np.int64)
    return days
