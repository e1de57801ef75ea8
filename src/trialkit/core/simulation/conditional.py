"""In the trial: conditional power of each primary analysis, by completing the trial's data.

The unblinded statistician's question is "if the participants still to come behave like those
seen so far in their arm, how likely is the final analysis to succeed?". For each analysis of a
primary endpoint that compares groups (a method whose result carries a p-value for the
comparison), the analysis records observed so far are kept, and each group is filled up to its
planned size with participants drawn, with replacement, from that group's observed
participants (all their records together: a participant's visits stay together). The
endpoint's **declared analysis then runs on the completed data through the same runner as the
real analysis** (``core.reporting.runner.run``), and the share of completed trials whose
p-value is below alpha is the conditional power under the current trend, with its Monte Carlo
SE. Analyses that compare nothing (summaries, adverse-event tables) are listed without a power.

Resampling the observed participants is the predictive distribution of a nonparametric
(Bayesian-bootstrap-like) model: it needs no distributional assumption per endpoint type
(continuous, count, ordinal, time to event alike), but with few observed participants per arm
it understates the spread of the participants to come. For a difference in means the
closed form is ``interim.conditional_power`` (B-value), which the tests compare with this.

Trial ``t`` of analysis ``i`` draws from ``SeedSequence(seed, spawn_key=(i, t))``: the same
data, seed and number of trials give the same answer.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from trialkit.core.adam import AnalysisDatasets
from trialkit.core.analysis.subsets import select, where_from_data
from trialkit.core.analysis.table import Table
from trialkit.core.protocol.analyses import Analysis
from trialkit.core.protocol.model import Protocol
from trialkit.core.reporting.runner import run

COMPARISONS = ("differences", "rate_ratios", "hazard_ratios")
"""Where a result keeps its between-group comparisons (the first one is the test)."""
SUBJECT = "USUBJID"
MAX_TRIALS = 5_000


@dataclass(frozen=True)
class AnalysisPower:
    endpoint: str
    endpoint_name: str
    kind: str
    """The endpoint's kind (primary, secondary, ...)."""
    analysis: str
    analysis_name: str
    method: str
    observed: tuple[tuple[str, int], ...]
    """Group → participants with a record for the analysis so far."""
    planned: tuple[tuple[str, int], ...]
    p_value_now: float | None
    """The analysis's p-value on the data so far (None: not estimable or no test)."""
    power: float | None
    mcse: float | None
    trials: int
    failed: int
    """Completed trials in which the analysis could not run (counted as not rejecting)."""
    note: str


def planned_by_group(protocol: Protocol, groups: tuple[str, ...]) -> dict[str, int]:
    """Each group's planned size: the randomized part's target shared by the protocol's
    allocation ratio (arms by label; sequences of a crossover part equally)."""
    randomization = protocol.randomization
    if randomization is None:
        raise ValueError("the protocol randomizes no part: nothing to compare")
    part = protocol.part(randomization.part)
    weights: dict[str, float] = {}
    for arm in protocol.design.arms:
        if arm.id in randomization.ratio:
            weights[arm.label] = float(randomization.ratio[arm.id])
    for sequence in part.sequences:
        weights[sequence.label] = float(randomization.ratio.get(sequence.id, 1))
    chosen = {g: weights.get(g, 0.0) for g in groups}
    total = sum(chosen.values())
    if total == 0:
        raise ValueError(f"groups {', '.join(groups)} are not the randomized part's arms or "
                         "sequences")
    return {g: round(part.enrolment_target * w / total) for g, w in chosen.items()}


def conditional_power(protocol: Protocol, datasets: AnalysisDatasets, *, trials: int,
                      seed: int, alpha: float = 0.05, kinds: tuple[str, ...] = ("primary",)
                      ) -> tuple[AnalysisPower, ...]:
    """Conditional power of every analysis of the endpoints of these kinds (primary by
    default), in the protocol's order (unblinded data only). An analysis keeps its seed
    stream whichever kinds are asked (its index counts every endpoint's analyses)."""
    if datasets.blinded:
        raise ValueError("datasets: conditional power compares arms; the data are pooled")
    if not 1 <= trials <= MAX_TRIALS:
        raise ValueError(f"trials: {trials} is not between 1 and {MAX_TRIALS}")
    found = []
    index = 0
    for endpoint in protocol.endpoints:
        for analysis in endpoint.analyses:
            if endpoint.kind in kinds:
                found.append(_one(protocol, datasets, analysis, endpoint.id, endpoint.name,
                                  endpoint.kind, trials=trials, seed=seed, index=index,
                                  alpha=alpha))
            index += 1
    return tuple(found)


def _one(protocol: Protocol, datasets: AnalysisDatasets, analysis: Analysis,
         endpoint: str, endpoint_name: str, kind: str, *, trials: int, seed: int, index: int,
         alpha: float) -> AnalysisPower:
    records = records_of(protocol, analysis, datasets)
    base = AnalysisPower(endpoint, endpoint_name, kind, analysis.id, analysis.name, analysis.method,
                         (), (), None, None, None, 0, 0, "")
    if analysis.grouping is None or analysis.grouping not in records:
        return dataclasses.replace(base, note="the analysis compares no groups")
    now = run(protocol, analysis, datasets)
    p_now = comparison_p(now.result)
    if now.result is not None and p_now is None:
        return dataclasses.replace(base, note=f"{analysis.method} tests no comparison: "
                                   "described, not tested")
    members = _participants_by_group(records, analysis.grouping)
    observed = tuple((g, len(ids)) for g, ids in sorted(members.items()))
    try:
        planned = planned_by_group(protocol, tuple(members))
    except ValueError as exc:
        return dataclasses.replace(base, observed=observed, note=str(exc))
    if len(members) < 2 or any(len(ids) == 0 for ids in members.values()):
        return dataclasses.replace(base, observed=observed, planned=tuple(sorted(
            planned.items())), note="fewer than two groups observed so far")
    rejected, failed = 0, 0
    for t in range(trials):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index, t)))
        completed = complete(records, members, planned, rng)
        outcome = run(protocol, analysis, dataclasses.replace(
            datasets, tables={**datasets.tables, analysis.dataset: completed}))
        p = comparison_p(outcome.result)
        if p is None:
            failed += 1
        elif p < alpha:
            rejected += 1
    power = rejected / trials
    return dataclasses.replace(
        base, observed=observed, planned=tuple(sorted(planned.items())), p_value_now=p_now,
        power=power, mcse=math.sqrt(power * (1 - power) / trials), trials=trials,
        failed=failed,
        note="the remaining participants drawn from those observed in their group")


def records_of(protocol: Protocol, analysis: Analysis, datasets: AnalysisDatasets) -> Table:
    """The analysis's records: its analysis set, parameter and data subset (as the runner
    selects them)."""
    table = datasets.tables[analysis.dataset]
    flag = next(s.flag for s in protocol.analysis_data.sets if s.id == analysis.analysis_set)
    chosen = table.where(table.text(flag) == "Y")
    if analysis.parameter is not None:
        chosen = chosen.where(chosen.text("PARAMCD") == analysis.parameter)
    if analysis.data_subset is not None:
        chosen = select(chosen, where_from_data(analysis.data_subset.as_data()))
    return chosen


def _participants_by_group(records: Table, grouping: str) -> dict[str, list[str]]:
    members: dict[str, list[str]] = {}
    for subject, group in zip(records.text(SUBJECT), records.text(grouping), strict=True):
        if group and subject not in members.setdefault(group, []):
            members[group].append(subject)
    return members


def complete(records: Table, members: Mapping[str, list[str]], planned: Mapping[str, int],
             rng: np.random.Generator) -> Table:
    """The records plus, for each group short of its planned size, participants drawn with
    replacement from the group's observed ones (every record of each, renamed)."""
    subjects = records.text(SUBJECT)
    rows_of = {s: np.flatnonzero(subjects == s) for ids in members.values() for s in ids}
    take: list[npt.NDArray[np.int64]] = [np.arange(records.n_rows)]
    names: list[npt.NDArray[Any]] = [subjects]
    for group, ids in sorted(members.items()):
        for k, drawn in enumerate(rng.integers(len(ids), size=max(planned[group] - len(ids),
                                                                  0))):
            rows = rows_of[ids[int(drawn)]]
            take.append(rows)
            names.append(np.full(len(rows), f"{ids[int(drawn)]}~{group}~{k}", dtype=object))
    order = np.concatenate(take)
    columns = {name: records[name][order] for name in records.names}
    columns[SUBJECT] = np.concatenate(names)
    return Table(columns)


def comparison_p(result: Mapping[str, Any] | None) -> float | None:
    """The p-value of a result's first between-group comparison, if it has one."""
    if result is None:
        return None
    for key in COMPARISONS:
        for comparison in result.get(key) or ():
            p = comparison.get("p_value") if isinstance(comparison, Mapping) else None
            if p is not None:
                return float(p)
    p = result.get("p_value")
    return float(p) if isinstance(p, int | float) else None
