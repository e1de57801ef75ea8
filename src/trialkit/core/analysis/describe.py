"""Descriptive summaries: a continuous variable by group (and visit), and crude event rates.

What a blinded (pooled) view shows in place of a comparison, and what a baseline table shows
in any view. Rates carry exact Poisson intervals (Garwood 1936: chi-square quantiles), which
stay valid with few events and with none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from trialkit.core.analysis.groups import arm_order
from trialkit.core.analysis.table import AnalysisInputError, Table, missing


@dataclass(frozen=True)
class Summary:
    group: str
    visit: str
    n: int
    mean: float | None
    sd: float | None
    median: float | None
    q1: float | None
    q3: float | None
    minimum: float | None
    maximum: float | None


@dataclass(frozen=True)
class SummaryResult:
    variable: str
    group: str
    rows: tuple[Summary, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Rate:
    group: str
    n: int
    events: int
    exposure: float
    rate: float | None
    ci_lower: float | None
    ci_upper: float | None


@dataclass(frozen=True)
class RatesResult:
    response: str
    exposure: str
    group: str
    rows: tuple[Rate, ...]
    confidence: float
    notes: tuple[str, ...]


def summary(data: Table, *, response: str, treatment: str, visit: str | None = None,
            visit_order: Sequence[str] | None = None,
            arms: Sequence[str] | None = None) -> SummaryResult:
    """n, mean, SD, median, quartiles (type 7, as R's default), min and max of ``response``
    per group (and visit); rows missing the value are left out with a note."""
    values, groups = data.numeric(response), data.text(treatment)
    visits = data.text(visit) if visit is not None else np.full(data.n_rows, "", dtype=object)
    known = ~np.isnan(values) & ~missing(groups)
    notes = (f"{int((~known).sum())} row(s) without '{response}' were left out",) \
        if (~known).any() else ()
    order = _visits(visits[known], visit_order)
    rows = tuple(_describe(group, at, values[known & (groups == group) & (visits == at)])
                 for at in order for group in arm_order(groups[known], arms))
    return SummaryResult(response, treatment, rows, notes)


def _visits(values: np.ndarray, order: Sequence[str] | None) -> list[str]:
    seen = set(values.tolist())
    if order is None:
        return sorted(seen)
    unknown = sorted(seen - set(order))
    if unknown:
        raise AnalysisInputError(f"visit(s) {', '.join(unknown)} are not in visit_order")
    return [v for v in order if v in seen]


def _describe(group: str, visit: str, values: np.ndarray) -> Summary:
    if len(values) == 0:
        return Summary(group, visit, 0, None, None, None, None, None, None, None)
    q1, median, q3 = (float(q) for q in np.quantile(values, [0.25, 0.5, 0.75]))
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else None
    return Summary(group, visit, len(values), float(np.mean(values)), sd, median, q1, q3,
                   float(np.min(values)), float(np.max(values)))


def rates(data: Table, *, response: str, treatment: str, exposure: str,
          arms: Sequence[str] | None = None, confidence: float = 0.95) -> RatesResult:
    """Events / exposure per group with an exact Poisson CI."""
    counts, spans, groups = data.numeric(response), data.numeric(exposure), data.text(treatment)
    known = ~np.isnan(counts) & ~np.isnan(spans) & (spans > 0) & ~missing(groups)
    notes = (f"{int((~known).sum())} row(s) without a count or a positive exposure were left "
             "out",) if (~known).any() else ()
    rows = []
    for group in arm_order(groups[known], arms):
        chosen = known & (groups == group)
        events, span = int(counts[chosen].sum()), float(spans[chosen].sum())
        low, high = poisson_interval(events, confidence)
        rows.append(Rate(group, int(chosen.sum()), events, span, events / span, low / span,
                         high / span))
    return RatesResult(response, exposure, treatment, tuple(rows), confidence, notes)


def poisson_interval(events: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval for a Poisson count."""
    alpha = 1 - confidence
    low = 0.0 if events == 0 else float(stats.chi2.ppf(alpha / 2, 2 * events) / 2)
    high = float(stats.chi2.ppf(1 - alpha / 2, 2 * events + 2) / 2)
    return low, high if math.isfinite(high) else math.inf
