"""Confirmed disability worsening or improvement from one participant's EDSS series.

The rule is data (``DisabilityRule``), never hard-coded, because trials differ:
PROTOCOL-NOTES §3 reads "±1.0 if baseline ≤ 5.0, ±0.5 if ≥ 5.5, confirmed at a visit
≥ 3 months later, EDSS within 30 days after a relapse onset not used", i.e.
``DisabilityRule("worsening", ((5.0, 1.0), (10.0, 0.5)), confirmation_days=91,
relapse_exclusion_days=30)``; others add +1.5 from EDSS 0 or confirm at 24 weeks.

Definitions (fixed baseline; Kappos et al. 2018, Mult Scler 24:963 for the variants):
- the required change is that of the first threshold whose bound the baseline does not
  exceed; a change counts when it reaches the requirement (within 1e-9);
- an assessment is *valid* unless it falls 0 to ``relapse_exclusion_days`` days after a
  relapse onset; invalid assessments are neither onsets nor confirmations (nor do they
  break a sustained change);
- the onset is the first valid assessment meeting the requirement whose confirmation holds:
  the first valid assessment at least ``confirmation_days`` after the onset also meets it,
  and, with ``sustained`` (the default), so does every valid assessment in between;
- an onset with no valid assessment late enough to confirm it is not an event (the
  participant is censored), nor is one whose confirmation fails: the search goes on from
  the next candidate;
- without an event the participant is censored at the last valid assessment (the baseline
  date if there is none). ``days`` counts from the baseline date (ADTTE AVAL).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from trialkit.core.analysis.table import AnalysisInputError

EPSILON = 1e-9


@dataclass(frozen=True)
class Assessment:
    day: date
    score: float


@dataclass(frozen=True)
class DisabilityRule:
    direction: Literal["worsening", "improvement"]
    thresholds: tuple[tuple[float, float], ...]
    """(highest baseline, required change) pairs by increasing bound."""
    confirmation_days: int
    relapse_exclusion_days: int
    sustained: bool = True

    def __post_init__(self) -> None:
        bounds = [bound for bound, _ in self.thresholds]
        if not self.thresholds or bounds != sorted(bounds):
            raise AnalysisInputError("thresholds: give (highest baseline, change) pairs in "
                                     "increasing order of baseline")
        if any(change <= 0 for _, change in self.thresholds):
            raise AnalysisInputError("thresholds: required changes must be positive")
        if self.confirmation_days < 1 or self.relapse_exclusion_days < 0:
            raise AnalysisInputError("confirmation_days must be ≥ 1 and "
                                     "relapse_exclusion_days ≥ 0")

    def required_change(self, baseline: float) -> float:
        for bound, change in self.thresholds:
            if baseline <= bound + EPSILON:
                return change
        raise AnalysisInputError(f"baseline {baseline} is above every threshold bound")

    def meets(self, baseline: float, score: float) -> bool:
        change = score - baseline if self.direction == "worsening" else baseline - score
        return change >= self.required_change(baseline) - EPSILON


@dataclass(frozen=True)
class DisabilityOutcome:
    event: bool
    onset: date | None
    confirmed_on: date | None
    end: date
    """The onset for an event, else the censoring date."""
    days: int
    baseline: float
    required_change: float
    excluded: tuple[date, ...]
    """Assessments not used because they fell in a relapse window."""


def confirmed_change(baseline: Assessment, assessments: Sequence[Assessment],
                     relapse_onsets: Sequence[date], rule: DisabilityRule
                     ) -> DisabilityOutcome:
    series = _series(baseline, assessments)
    excluded = tuple(a.day for a in series if _in_relapse_window(a.day, relapse_onsets, rule))
    valid = [a for a in series if a.day not in excluded]
    required = rule.required_change(baseline.score)
    for index, candidate in enumerate(valid):
        if not rule.meets(baseline.score, candidate.score):
            continue
        confirmation = _confirmation(valid, index, rule)
        if confirmation is None:
            break
        between = valid[index + 1:valid.index(confirmation) + 1]
        checked = between if rule.sustained else [confirmation]
        if all(rule.meets(baseline.score, a.score) for a in checked):
            return DisabilityOutcome(True, candidate.day, confirmation.day, candidate.day,
                                     (candidate.day - baseline.day).days, baseline.score,
                                     required, excluded)
    end = valid[-1].day if valid else baseline.day
    return DisabilityOutcome(False, None, None, end, (end - baseline.day).days,
                             baseline.score, required, excluded)


def _series(baseline: Assessment, assessments: Sequence[Assessment]) -> list[Assessment]:
    for a in (baseline, *assessments):
        if not 0 <= a.score <= 10:
            raise AnalysisInputError(f"EDSS {a.score} on {a.day} is outside 0-10")
    later = sorted((a for a in assessments if a.day > baseline.day), key=lambda a: a.day)
    for first, second in itertools.pairwise(later):
        if first.day == second.day and first.score != second.score:
            raise AnalysisInputError(f"two different EDSS scores on {first.day}: "
                                     f"{first.score} and {second.score}")
    return [a for i, a in enumerate(later) if i == 0 or a.day != later[i - 1].day]


def _in_relapse_window(day: date, onsets: Sequence[date], rule: DisabilityRule) -> bool:
    return any(0 <= (day - onset).days <= rule.relapse_exclusion_days for onset in onsets)


def _confirmation(valid: list[Assessment], index: int,
                  rule: DisabilityRule) -> Assessment | None:
    onset = valid[index].day
    for later in valid[index + 1:]:
        if (later.day - onset).days >= rule.confirmation_days:
            return later
    return None
