"""MMRM: a mixed model for repeated measures with unstructured covariance over visits.

    response ~ treatment [+ visit + treatment:visit] + factors + covariates [+ covariate:visit]

fitted by REML with an unstructured within-participant covariance indexed by visit (SAS
``repeated visit / subject=id type=un``), model-based SEs and Satterthwaite df. The visit
places each observation in Σ even when earlier visits are missing: a participant seen at
visits 2 and 4 contributes Σ[(2, 4), (2, 4)]; visit need not be a fixed effect (the FEV1
oracle model has none). Observations with a missing response are left out (the model is
valid under missing at random); participants with no observation contribute nothing.

Edge cases: a duplicated (participant, visit) is an error; a listed visit with no
observations is dropped with a note (its variance is not estimable); failure to converge
or a non-positive-definite Hessian is reported in ``notes`` with ``converged=False``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from trialkit.core.analysis.frame import ModelFrame, model_frame
from trialkit.core.analysis.groups import check_pairs
from trialkit.core.analysis.mmrm.fit import Optimum, Stop, optimise
from trialkit.core.analysis.mmrm.likelihood import Pattern, theta_from_covariance
from trialkit.core.analysis.mmrm.satterthwaite import satterthwaite_df
from trialkit.core.analysis.results import Estimate, wald
from trialkit.core.analysis.table import AnalysisInputError, Array, FloatArray, Table
from trialkit.core.analysis.table import missing as is_missing


@dataclass(frozen=True)
class MmrmResult:
    response: str
    treatment: str
    reference: str
    visits: tuple[str, ...]
    n_observations: int
    n_subjects: int
    """Participants with at least one analysed observation."""
    n_subjects_read: int
    """Participants in the input, including those whose every response is missing."""
    coefficients: tuple[Estimate, ...]
    covariance: tuple[tuple[float, ...], ...]
    """Σ̂, rows and columns in ``visits`` order."""
    minus_two_reml_log_likelihood: float
    aic: float
    bic: float
    """As SAS: 2k penalty / k·log(n) for the k covariance parameters only, n the number of
    participants in the input, counting those whose every response is missing."""
    lsmeans: tuple[Estimate, ...]
    """Per arm, or per arm and visit ("arm @ visit") when the visit is in the model."""
    differences: tuple[Estimate, ...]
    converged: bool
    optimizer: str
    confidence: float
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _Data:
    frame: ModelFrame
    visits: tuple[str, ...]
    patterns: list[Pattern]
    n_subjects: int
    n_subjects_read: int
    notes: tuple[str, ...]


def mmrm(data: Table, *, response: str, subject: str, visit: str, treatment: str,
         reference: str, factors: Mapping[str, str | None] | Sequence[str] = (),
         covariates: Sequence[str] = (), visit_effect: bool = True,
         treatment_by_visit: bool = True, covariates_by_visit: Sequence[str] = (),
         visit_order: Sequence[str] | None = None,
         comparisons: Sequence[tuple[str, str]] | None = None,
         confidence: float = 0.95, stop: Stop = "optimum") -> MmrmResult:
    """``stop="sas"`` follows PROC MIXED's iterations and stops where it would (its printed
    estimates); the default ``"optimum"`` goes to the exact REML optimum."""
    prepared = _prepare(data, response, subject, visit, treatment, reference, factors,
                        covariates, visit_effect, treatment_by_visit, covariates_by_visit,
                        visit_order)
    t = len(prepared.visits)
    optimum = optimise(prepared.patterns, t, _start(prepared.patterns, t), stop)
    evaluation = optimum.evaluation
    k = t * (t + 1) // 2
    criterion = evaluation.criterion
    return MmrmResult(
        response, treatment, reference, prepared.visits, prepared.frame.n,
        prepared.n_subjects, prepared.n_subjects_read, _coefficients(prepared, optimum, confidence),
        tuple(tuple(float(v) for v in row) for row in evaluation.sigma), criterion,
        criterion + 2 * k, criterion + k * float(np.log(prepared.n_subjects_read)),
        *_lsmeans(prepared, optimum, treatment, visit if visit_effect else None,
                  comparisons, confidence),
        optimum.converged, optimum.method, confidence, prepared.notes + optimum.notes)


def _prepare(data: Table, response: str, subject: str, visit: str, treatment: str,
             reference: str, factors: Mapping[str, str | None] | Sequence[str],
             covariates: Sequence[str], visit_effect: bool, treatment_by_visit: bool,
             covariates_by_visit: Sequence[str], visit_order: Sequence[str] | None) -> _Data:
    keys = [data.text(subject), data.text(visit)]
    read = len(set(keys[0]) - {""})
    keep = ~(is_missing(keys[0]) | is_missing(keys[1]) | is_missing(data.numeric(response)))
    notes = [f"{int((~keep).sum())} row(s) without '{response}', '{subject}' or '{visit}' "
             "were left out"] if (~keep).any() else []
    data = data.where(keep)
    visits = _visits(data.text(visit), visit_order, visit, notes)
    if not visits:  # early in a trial: nothing observed yet is "not estimable", not a crash
        raise AnalysisInputError(f"no observation of '{response}' at any visit")
    references = dict(factors) if isinstance(factors, Mapping) else dict.fromkeys(factors)
    interactions: list[tuple[str, ...]] = []
    if visit_effect:
        references[visit] = visits[0]
        interactions += [(treatment, visit)] if treatment_by_visit else []
        interactions += [(name, visit) for name in covariates_by_visit]
    frame = model_frame(data, treatment=treatment, reference=reference, factors=references,
                        covariates=covariates, interactions=interactions, required=[response])
    ids, times = data.text(subject)[frame.used], data.text(visit)[frame.used]
    patterns = _patterns(ids, times, visits, data.numeric(response)[frame.used], frame.x)
    return _Data(frame, visits, patterns, len(set(ids)), read, (*notes, *frame.notes))


def _visits(values: Array, order: Sequence[str] | None, name: str,
            notes: list[str]) -> tuple[str, ...]:
    present = set(values)
    if order is None:
        return tuple(sorted(present))
    unknown = sorted(present - set(order))
    if unknown:
        raise AnalysisInputError(f"'{name}' holds visit(s) {', '.join(unknown)} not in the "
                                 "visit order")
    empty = [v for v in order if v not in present]
    if empty:
        notes.append(f"visit(s) {', '.join(empty)} have no observations and were left out")
    return tuple(v for v in order if v in present)


def _patterns(ids: Array, times: Array, visits: tuple[str, ...], y: FloatArray,
              x: FloatArray) -> list[Pattern]:
    position = {v: i for i, v in enumerate(visits)}
    rows: dict[str, list[tuple[int, int]]] = {}
    for row, (sid, time) in enumerate(zip(ids, times, strict=True)):
        rows.setdefault(sid, []).append((position[time], row))
    grouped: dict[tuple[int, ...], list[list[int]]] = {}
    for sid, entries in rows.items():
        entries.sort()
        visit_index = tuple(v for v, _ in entries)
        if len(set(visit_index)) != len(visit_index):
            raise AnalysisInputError(f"participant '{sid}' has more than one observation at "
                                     "a visit")
        grouped.setdefault(visit_index, []).append([r for _, r in entries])
    return [Pattern(key, y[np.array(members)], x[np.array(members)])
            for key, members in sorted(grouped.items())]


def _start(patterns: list[Pattern], t: int) -> FloatArray:
    """Diagonal Σ with each visit's OLS residual variance (a safe, positive definite start)."""
    x = np.concatenate([p.x.reshape(-1, p.x.shape[2]) for p in patterns])
    y = np.concatenate([p.y.reshape(-1) for p in patterns])
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    sums, counts = np.zeros(t), np.zeros(t)
    for p in patterns:
        residuals = p.y - p.x @ beta
        sums[list(p.visits)] += (residuals ** 2).sum(axis=0)
        counts[list(p.visits)] += len(p.y)
    variance = np.where(sums > 0, sums / np.maximum(counts, 1), 1.0)
    return theta_from_covariance(np.diag(variance))


def _inference(label: str, row: FloatArray, prepared: _Data, optimum: Optimum,
               confidence: float) -> Estimate:
    a = optimum.evaluation.beta_covariance
    df = satterthwaite_df(row, optimum.theta, optimum.hessian, prepared.patterns,
                          len(prepared.visits), a)
    estimate = float(row @ optimum.evaluation.beta)
    return wald(label, estimate, float(np.sqrt(row @ a @ row)), df, confidence)


def _coefficients(prepared: _Data, optimum: Optimum, confidence: float
                  ) -> tuple[Estimate, ...]:
    names = prepared.frame.design.column_names
    unit = np.eye(len(names))
    return tuple(_inference(name, unit[i], prepared, optimum, confidence)
                 for i, name in enumerate(names))


def _lsmeans(prepared: _Data, optimum: Optimum, treatment: str, visit: str | None,
             comparisons: Sequence[tuple[str, str]] | None, confidence: float
             ) -> tuple[tuple[Estimate, ...], tuple[Estimate, ...]]:
    design, means = prepared.frame.design, prepared.frame.covariate_means
    arms = design.factors[treatment]
    pairs = check_pairs(comparisons, arms)
    lsmeans, differences = [], []
    for time in (prepared.visits if visit else (None,)):
        fixed = {} if time is None or visit is None else {visit: time}
        at = "" if time is None else f" @ {time}"
        rows = {arm: design.mean_row({treatment: arm, **fixed}, means) for arm in arms}
        lsmeans += [_inference(arm + at, rows[arm], prepared, optimum, confidence)
                    for arm in arms]
        differences += [_inference(f"{arm} - {against}{at}", rows[arm] - rows[against],
                                   prepared, optimum, confidence) for arm, against in pairs]
    return tuple(lsmeans), tuple(differences)
