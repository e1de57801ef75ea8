"""The analysis of each endpoint of one simulated trial, by the protocol's declared method.

The analysis data set is derived from the simulated course of the randomized participants
as the scenario file's ``measure`` says; the analysis is a method of
``trialkit.core.analysis`` (``negative_binomial`` and ``poisson`` with their fallback rules,
``proportions`` with Fisher's exact test) run through the method registry exactly as a real
analysis would be, except ANCOVA, which runs on the proven-equal fast path
(``fast_ancova``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trialkit.core.analysis.catalogue import method
from trialkit.core.analysis.counts import CountResult
from trialkit.core.analysis.responders import ProportionsResult
from trialkit.core.analysis.table import AnalysisInputError, Table
from trialkit.core.simulation.fast_ancova import ancova_difference
from trialkit.core.simulation.scenario_file import (
    ChangeMeasure,
    Endpoint,
    LesionMeasure,
    NoActivityMeasure,
    RateMeasure,
)

FloatArray = npt.NDArray[np.float64]
YEAR = 365.25


@dataclass(frozen=True)
class Outcome:
    """One endpoint's result in one simulated trial (NaN where there is none)."""

    estimate: float
    lower: float
    upper: float
    p_value: float
    n: int
    fallback: bool = False
    failed: bool = False
    """The method raised (bad input it refuses, or a numerical failure): counted, reported."""

    @property
    def analysed(self) -> bool:
        return not np.isnan(self.estimate)


MISSING = Outcome(np.nan, np.nan, np.nan, np.nan, 0)


@dataclass(frozen=True)
class Randomized:
    """The randomized participants' simulated data, one row each."""

    arm: npt.NDArray[np.object_]
    stratum: npt.NDArray[np.object_]
    control: str
    active: str
    visit_day: dict[str, FloatArray]
    """Visit id → the study day it took place (NaN: missed or after leaving)."""
    ratings: dict[str, FloatArray]
    enhancing: dict[str, FloatArray]
    new: dict[str, FloatArray]
    relapse_who: npt.NDArray[np.int64]
    relapse_day: FloatArray
    leaves: FloatArray


def analyse(endpoint: Endpoint, data: Randomized, confidence: float) -> Outcome:
    measure = endpoint.measure
    try:
        if isinstance(measure, ChangeMeasure):
            return _change(endpoint, measure, data, confidence)
        if isinstance(measure, NoActivityMeasure):
            return _no_activity(measure, data, confidence)
        return _counts(endpoint, measure, data, confidence)
    except AnalysisInputError:  # e.g. every analysed participant in one arm
        return MISSING
    except (ArithmeticError, np.linalg.LinAlgError):
        # A method that fails numerically on a simulated data set (e.g. an overflowing
        # confidence limit) is counted as a failed analysis, never silently dropped.
        return Outcome(np.nan, np.nan, np.nan, np.nan, 0, failed=True)


def _change(endpoint: Endpoint, measure: ChangeMeasure, data: Randomized,
            confidence: float) -> Outcome:
    baseline = data.ratings[measure.from_visit]
    change = data.ratings[measure.to_visit] - baseline
    strata = data.stratum if endpoint.adjust_for_strata else None
    fit = ancova_difference(change, data.arm == data.active, strata, baseline, confidence)
    return Outcome(fit.estimate, fit.lower, fit.upper, fit.p_value, fit.n)


def _counts(endpoint: Endpoint, measure: RateMeasure | LesionMeasure, data: Randomized,
            confidence: float) -> Outcome:
    if isinstance(measure, RateMeasure):
        end = np.fmin(data.visit_day[measure.until_visit], data.leaves)
        count = np.bincount(data.relapse_who[data.relapse_day < end[data.relapse_who]],
                            minlength=len(end)).astype(float)
        exposure = end / YEAR
    else:
        new = np.column_stack([data.new[visit] for visit in measure.visits])
        exposure = (~np.isnan(new)).sum(axis=1).astype(float)
        count = np.where(exposure > 0, np.nansum(new, axis=1), np.nan)
    table = Table({"count": count, "exposure": np.where(exposure > 0, exposure, np.nan),
                   "arm": data.arm, "stratum": data.stratum})
    result: CountResult = method(endpoint.method).run({"data": table}, {
        "response": "count", "exposure": "exposure", "treatment": "arm",
        "reference": data.control, "confidence": confidence,
        "factors": ["stratum"] if endpoint.adjust_for_strata else []})
    if not result.rate_ratios or result.rate_ratios[0].p_value is None:
        return Outcome(np.nan, np.nan, np.nan, np.nan, result.n, result.fallback)
    ratio = result.rate_ratios[0]
    return Outcome(_float(ratio.estimate), _float(ratio.ci_lower), _float(ratio.ci_upper),
                   _float(ratio.p_value), result.n, result.fallback)


def _no_activity(measure: NoActivityMeasure, data: Randomized, confidence: float) -> Outcome:
    until = data.visit_day[measure.until_visit]
    known = ~np.isnan(until)
    relapsed = np.zeros(len(until), dtype=bool)
    relapsed[data.relapse_who[data.relapse_day < np.nan_to_num(until)[data.relapse_who]]] = True
    lesions = np.zeros(len(until), dtype=bool)
    for visit, day in data.visit_day.items():
        if visit in data.new:
            seen = np.nan_to_num(data.new[visit]) + np.nan_to_num(data.enhancing[visit])
            lesions |= (seen > 0) & (day <= np.nan_to_num(until))
    worse = _confirmed_worsening(data, until, measure)
    response = np.where(known, (~relapsed & ~lesions & ~worse).astype(float), np.nan)
    result: ProportionsResult = method("proportions").run(
        {"data": Table({"response": response, "arm": data.arm})},
        {"response": "response", "treatment": "arm", "reference": data.control,
         "confidence": confidence})
    difference = result.differences[0]
    if difference.difference is None:
        return Outcome(np.nan, np.nan, np.nan, np.nan, int(known.sum()))
    # Fisher's p is undefined when every participant responds (or none does): no evidence.
    p_value = 1.0 if difference.p_value is None else difference.p_value
    return Outcome(difference.difference, _float(difference.ci_lower),
                   _float(difference.ci_upper), p_value, int(known.sum()))


def _confirmed_worsening(data: Randomized, until: FloatArray,
                         measure: NoActivityMeasure) -> npt.NDArray[np.bool_]:
    """A rating above the first rating by the measure's threshold, held at a rating at least
    ``confirm_days`` later, both by ``until``."""
    visits = sorted(data.ratings, key=lambda v: float(np.nanmedian(data.visit_day[v])))
    baseline = data.ratings[visits[0]]
    needed = np.select([baseline <= limit for limit, _ in measure.worsening],
                       [step for _, step in measure.worsening], np.nan)
    worse = np.zeros(len(until), dtype=bool)
    for i, first in enumerate(visits[1:], start=1):
        for later in visits[i + 1:]:
            gap = data.visit_day[later] - data.visit_day[first]
            held = ((data.ratings[first] - baseline >= needed)
                    & (data.ratings[later] - baseline >= needed)
                    & (gap >= measure.confirm_days)
                    & (data.visit_day[later] <= until))
            worse |= held
    return worse


def _float(value: float | None) -> float:
    return float(value) if value is not None else np.nan
