"""Kaplan–Meier estimates with Greenwood standard errors, pointwise CIs and the median.

Input follows ADaM ADTTE: ``AVAL`` the time, ``CNSR`` 0 for an event and 1 (or any
positive value) for a censored time. At a time with both events and censorings the
censored participants are still at risk (the usual convention: censoring happens just
after the events).

- S(t) = Π (1 − dᵢ/nᵢ); Greenwood: Var(log S) = Σ dᵢ/(nᵢ(nᵢ − dᵢ)); ``se`` is that of
  S (= S·√Var(log S), as R ``summary.survfit`` prints).
- Pointwise CIs, ``conf_type``: ``"log"`` (R ``survfit``'s default: S·exp(±z σ)),
  ``"log-log"`` (SAS PROC LIFETEST's default) or ``"plain"`` (S ± z·se), clipped to [0, 1];
  undefined where S = 0 (and at S = 1 for log-log), as in R.
- The median is R's: the first time S ≤ 0.5, except that where S equals 0.5 exactly (within
  √machine-ε) over an interval, the midpoint between that time and the next drop; its CI
  applies the same rule to the lower and the upper limit curves (Brookmeyer & Crowley 1982
  by inversion of the pointwise band). A median the curve never reaches is ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from trialkit.core.analysis.table import AnalysisInputError, BoolArray, FloatArray, Table
from trialkit.core.analysis.table import missing as is_missing

ConfType = Literal["log", "log-log", "plain"]
TOLERANCE = math.sqrt(np.finfo(float).eps)


@dataclass(frozen=True)
class KmStep:
    time: float
    n_risk: int
    n_event: int
    n_censor: int
    survival: float
    se: float | None
    ci_lower: float | None
    ci_upper: float | None


@dataclass(frozen=True)
class KmCurve:
    group: str
    n: int
    events: int
    steps: tuple[KmStep, ...]
    median: float | None
    median_ci: tuple[float | None, float | None]


@dataclass(frozen=True)
class KaplanMeierResult:
    curves: tuple[KmCurve, ...]
    confidence: float
    conf_type: str
    notes: tuple[str, ...]

    def curve(self, group: str) -> KmCurve:
        for curve in self.curves:
            if curve.group == group:
                return curve
        raise KeyError(group)


def survival_data(data: Table, time: str, censor: str, extra: Sequence[str] = ()
                  ) -> tuple[Table, tuple[str, ...]]:
    """Rows with a time and a censoring flag (others left out, with a note); checks them."""
    keep = ~(is_missing(data.numeric(time)) | is_missing(data.numeric(censor)))
    for name in extra:
        keep &= ~is_missing(data.text(name))
    notes = (f"{int((~keep).sum())} row(s) without a time, censoring flag or group were "
             "left out",) if (~keep).any() else ()
    data = data.where(keep)
    if np.any(data.numeric(time) < 0):
        raise AnalysisInputError(f"'{time}' holds negative times")
    return data, notes


def kaplan_meier(data: Table, *, time: str = "AVAL", censor: str = "CNSR",
                 group: str | None = None, groups: Sequence[str] | None = None,
                 confidence: float = 0.95, conf_type: ConfType = "log") -> KaplanMeierResult:
    data, notes = survival_data(data, time, censor, [group] if group else [])
    times, events = data.numeric(time), np.asarray(data.numeric(censor) == 0, dtype=bool)
    labels = data.text(group) if group else np.full(data.n_rows, "all", dtype=object)
    order = list(groups) if groups is not None else sorted(set(labels))
    curves = tuple(_curve(name, times[labels == name], events[labels == name], confidence,
                          conf_type) for name in order)
    return KaplanMeierResult(curves, confidence, conf_type, notes)


def _curve(name: str, times: FloatArray, events: BoolArray, confidence: float,
           conf_type: ConfType) -> KmCurve:
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    steps, survival, greenwood = [], 1.0, 0.0
    at_risk = len(times)
    for t in np.unique(times):
        here = times == t
        d, c = int(np.sum(events & here)), int(np.sum(~events & here))
        survival *= 1 - d / at_risk
        greenwood += d / (at_risk * (at_risk - d)) if at_risk > d else math.inf
        lower, upper = _limits(survival, greenwood, z, conf_type)
        se = survival * math.sqrt(greenwood) if math.isfinite(greenwood) else None
        steps.append(KmStep(float(t), at_risk, d, c, survival, se, lower, upper))
        at_risk -= d + c
    return KmCurve(name, len(times), int(events.sum()), tuple(steps),
                   _median(steps, lambda s: s.survival),
                   (_median(steps, lambda s: s.ci_lower), _median(steps, lambda s: s.ci_upper)))


def _limits(survival: float, greenwood: float, z: float, conf_type: ConfType
            ) -> tuple[float | None, float | None]:
    if survival == 0 or not math.isfinite(greenwood):
        return None, None
    sigma = math.sqrt(greenwood)
    if conf_type == "plain":
        se = survival * sigma
        return max(0.0, survival - z * se), min(1.0, survival + z * se)
    if conf_type == "log":
        return survival * math.exp(-z * sigma), min(1.0, survival * math.exp(z * sigma))
    if survival == 1:
        return None, None
    log_log, spread = math.log(-math.log(survival)), z * sigma / abs(math.log(survival))
    return math.exp(-math.exp(log_log + spread)), math.exp(-math.exp(log_log - spread))


def _median(steps: Sequence[KmStep], value: Callable[[KmStep], float | None]
            ) -> float | None:
    """R ``quantile.survfit`` at p = 0.5 on one curve (``value`` picks S or a CI limit)."""
    points = [(s.time, y) for s in steps if (y := value(s)) is not None]
    below = [i for i, (_, y) in enumerate(points) if y <= 0.5 + TOLERANCE]
    if not below:
        return None
    first = below[0]
    if abs(points[first][1] - 0.5) >= TOLERANCE:
        return float(points[first][0])
    later = [t for t, y in points[first:] if y < 0.5 - TOLERANCE]
    return (points[first][0] + later[0]) / 2 if later else float(points[first][0])
