"""What every method returns: estimates with SE, CI, df and p; plain data, JSON-ready.

Results are frozen dataclasses of Python scalars, tuples and mappings (never numpy types), so
``as_data`` turns any of them into JSON-serialisable dicts. ``None`` means "not available"
(an undefined p-value, an infinite estimate's SE); every such case comes with a note.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scipy import stats


@dataclass(frozen=True)
class Estimate:
    """One estimated quantity with its Wald-type inference.

    ``df`` is ``None`` when the reference distribution is normal (z), a number for a t test
    (residual or Satterthwaite degrees of freedom). For ratio estimates (rate or hazard ratios)
    ``estimate`` and the CI are on the ratio scale and ``se`` is that of the log ratio.
    """

    label: str
    estimate: float | None
    se: float | None
    ci_lower: float | None
    ci_upper: float | None
    df: float | None
    statistic: float | None
    p_value: float | None


def wald(label: str, estimate: float, se: float, df: float | None = None,
         confidence: float = 0.95, null: float = 0.0) -> Estimate:
    """A Wald estimate: t with ``df`` degrees of freedom when given, else z."""
    if not (math.isfinite(estimate) and math.isfinite(se) and se > 0):
        return Estimate(label, _finite(estimate), _finite(se), None, None, df, None, None)
    quantile = _quantile(confidence, df)
    statistic = (estimate - null) / se
    return Estimate(label, estimate, se, estimate - quantile * se, estimate + quantile * se,
                    df, statistic, two_sided_p(statistic, df))


def wald_ratio(label: str, log_estimate: float, se: float, confidence: float = 0.95,
               df: float | None = None) -> Estimate:
    """A ratio from a log-scale Wald estimate: CI by exponentiating the log-scale limits."""
    log = wald(label, log_estimate, se, df, confidence)
    return dataclasses.replace(
        log, estimate=_exp(log.estimate), ci_lower=_exp(log.ci_lower),
        ci_upper=_exp(log.ci_upper))


def two_sided_p(statistic: float, df: float | None) -> float:
    if df is None:
        return float(2 * stats.norm.sf(abs(statistic)))
    return float(2 * stats.t.sf(abs(statistic), df))


def _quantile(confidence: float, df: float | None) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    upper = 0.5 + confidence / 2
    return float(stats.norm.ppf(upper) if df is None else stats.t.ppf(upper, df))


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _exp(value: float | None) -> float | None:
    """exp of a log-scale limit; a limit past float range (a huge SE) is an infinite ratio,
    not an OverflowError."""
    if value is None:
        return None
    try:
        return math.exp(value)
    except OverflowError:
        return math.inf


def as_data(result: object) -> Any:
    """A result as JSON-ready data: dataclasses become dicts, tuples lists, NaN ``None``."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return {f.name: as_data(getattr(result, f.name)) for f in dataclasses.fields(result)}
    if isinstance(result, Mapping):
        return {str(k): as_data(v) for k, v in result.items()}
    if isinstance(result, tuple | list):
        return [as_data(v) for v in result]
    if isinstance(result, float) and not math.isfinite(result):
        return None
    return result
