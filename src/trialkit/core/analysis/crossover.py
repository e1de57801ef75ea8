"""The two-period, two-treatment (2×2, AB/BA) crossover: within-participant comparison.

The classic analysis (Hills & Armitage 1979; Jones & Kenward 2014, ch. 2; Senn 2002): each
participant's response in a period is the mean of their records in it (several scans a
period), y₁ and y₂. With the period difference d = y₁ − y₂, a participant of sequence AB has
E[d] = τ_A − τ_B + π₁ − π₂ and one of BA has E[d] = τ_B − τ_A + π₁ − π₂, so

- treatment effect τ_test − τ_ref = (d̄_test-first − d̄_ref-first) / 2,
- period effect π₂ − π₁ = −(d̄_test-first + d̄_ref-first) / 2,

each with SE ½·s_d·√(1/n₁ + 1/n₂), s_d² the pooled within-sequence variance of d, t on
n₁ + n₂ − 2 df: a two-sample t test of the period differences between sequences. For
participants with both periods this is exactly the mixed model y ~ period + treatment with a
random participant intercept (R ``nlme::lme``; SAS PROC MIXED), so the result is the same.
The carry-over (sequence) test compares the totals y₁ + y₂ between sequences by the same
t test; it has little power and a pre-test on it biases the treatment test (Freeman 1989),
so it is reported as a documented sensitivity analysis, never as a gate.

Edge cases: a participant with only one period (or with the same treatment in both) gives no
within-participant difference and is left out with a note (a mixed model would use their
single period only through the between-participant contrast, which the 2×2 design is not
built for); more than two periods or treatments is an error; a sequence with no complete
participant leaves the effects inestimable (``None``, with a note); a sequence with one
participant still estimates, the variance coming from the other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from trialkit.core.analysis.results import Estimate, wald
from trialkit.core.analysis.table import AnalysisInputError, FloatArray, Table, missing


@dataclass(frozen=True)
class CellMean:
    """Participants' period means in one sequence and period."""

    sequence: str
    period: str
    treatment: str
    n: int
    mean: float | None
    sd: float | None


@dataclass(frozen=True)
class CrossoverResult:
    response: str
    treatment: str
    reference: str
    test: str
    periods: tuple[str, str]
    sequences: tuple[str, str]
    """Test first ("A/B"), then reference first ("B/A")."""
    n: int
    """Participants with both periods."""
    n_by_sequence: dict[str, int]
    cells: tuple[CellMean, ...]
    differences: tuple[Estimate, ...]
    """The treatment effect (test − reference), the one comparison."""
    period_effect: Estimate
    """Second period − first period."""
    carryover: Estimate
    """Mean total (y₁ + y₂) of the test-first sequence minus the reference-first one."""
    df: float | None
    confidence: float
    notes: tuple[str, ...]


def crossover(data: Table, *, response: str, subject: str, treatment: str, reference: str,
              period: str = "APERIOD", confidence: float = 0.95) -> CrossoverResult:
    """``treatment`` is the treatment received in the period of each row (ADaM TRTA);
    ``period`` the period (APERIOD)."""
    notes: list[str] = []
    y = data.numeric(response)
    ids, periods, treatments = (data.text(subject), data.text(period), data.text(treatment))
    used = ~(np.isnan(y) | missing(ids) | missing(periods) | missing(treatments))
    if (~used).any():
        notes.append(f"{int((~used).sum())} row(s) without '{response}', '{period}' or "
                     f"'{treatment}' were left out")
    period_levels = tuple(sorted({str(p) for p in periods[used]}))
    treatment_levels = sorted({str(t) for t in treatments[used]})
    if len(period_levels) != 2:
        raise AnalysisInputError(f"'{period}': a 2×2 crossover needs two periods, the data "
                                 f"hold {list(period_levels)}")
    if reference not in treatment_levels or len(treatment_levels) != 2:
        raise AnalysisInputError(f"'{treatment}': a 2×2 crossover needs the reference "
                                 f"'{reference}' and one other treatment, the data hold "
                                 f"{treatment_levels}")
    test = next(t for t in treatment_levels if t != reference)
    first, second = period_levels
    means: dict[tuple[str, str], float] = {}
    given: dict[tuple[str, str], str] = {}
    averaged = 0
    for who in sorted({str(s) for s in ids[used]}):
        mine = used & (ids == who)
        for p in period_levels:
            rows = mine & (periods == p)
            if not rows.any():
                continue
            received = {str(t) for t in treatments[rows]}
            if len(received) > 1:
                raise AnalysisInputError(f"participant {who}: several treatments in period {p}")
            averaged += int(rows.sum() > 1)
            means[(who, p)] = float(np.mean(y[rows]))
            given[(who, p)] = received.pop()
    if averaged:
        notes.append(f"{averaged} participant-period(s) with several records: the period "
                     f"value is their mean")
    complete = sorted(who for who in {w for w, _ in means}
                      if (who, first) in means and (who, second) in means
                      and given[(who, first)] != given[(who, second)])
    partial = len({w for w, _ in means}) - len(complete)
    if partial:
        notes.append(f"{partial} participant(s) without both periods under different "
                     f"treatments were left out (no within-participant difference)")
    sequences = (f"{test}/{reference}", f"{reference}/{test}")
    y1 = np.array([means[(w, first)] for w in complete])
    y2 = np.array([means[(w, second)] for w in complete])
    test_first = np.array([given[(w, first)] == test for w in complete], dtype=bool)
    groups = (test_first, ~test_first)
    n_by = {sequences[0]: int(test_first.sum()), sequences[1]: int((~test_first).sum())}
    cells = tuple(_cell(sequences[g], p, (test, reference)[g ^ i], values[mask])
                  for g, mask in enumerate(groups)
                  for i, (p, values) in enumerate(((first, y1), (second, y2))))
    effects = _effects(y1 - y2, y1 + y2, groups, confidence, notes)
    labels = (f"{test} - {reference}", f"period {second} - {first}",
              f"carry-over: totals {sequences[0]} - {sequences[1]}")
    treatment_effect, period_effect, carryover = (
        _relabel(e, label) for e, label in zip(effects[0], labels, strict=True))
    return CrossoverResult(response, treatment, reference, test, (first, second), sequences,
                           len(complete), n_by, cells, (treatment_effect,), period_effect,
                           carryover, effects[1], confidence, tuple(notes))


def _cell(sequence: str, period: str, treatment: str, values: FloatArray) -> CellMean:
    n = len(values)
    return CellMean(sequence, period, treatment, n, float(values.mean()) if n else None,
                    float(values.std(ddof=1)) if n > 1 else None)


def _effects(d: FloatArray, total: FloatArray, groups: tuple[np.ndarray, np.ndarray],
             confidence: float, notes: list[str]
             ) -> tuple[tuple[Estimate, Estimate, Estimate], float | None]:
    n1, n2 = (int(g.sum()) for g in groups)
    df = n1 + n2 - 2
    if n1 == 0 or n2 == 0 or df < 1:
        notes.append("a sequence has no participant with both periods (or too few "
                     "participants): the effects are not estimable")
        empty = Estimate("", None, None, None, None, None, None, None)
        return (empty, empty, empty), None
    scale = math.sqrt(1 / n1 + 1 / n2)
    d1, d2 = d[groups[0]], d[groups[1]]
    t1, t2 = total[groups[0]], total[groups[1]]
    s_d = math.sqrt((_ss(d1) + _ss(d2)) / df)
    s_t = math.sqrt((_ss(t1) + _ss(t2)) / df)
    treatment = wald("", float(d1.mean() - d2.mean()) / 2, s_d * scale / 2, df, confidence)
    period = wald("", -float(d1.mean() + d2.mean()) / 2, s_d * scale / 2, df, confidence)
    carry = wald("", float(t1.mean() - t2.mean()), s_t * scale, df, confidence)
    return (treatment, period, carry), float(df)


def _ss(values: FloatArray) -> float:
    return float(np.sum((values - values.mean()) ** 2)) if len(values) else 0.0


def _relabel(estimate: Estimate, label: str) -> Estimate:
    return Estimate(label, estimate.estimate, estimate.se, estimate.ci_lower,
                    estimate.ci_upper, estimate.df, estimate.statistic, estimate.p_value)

