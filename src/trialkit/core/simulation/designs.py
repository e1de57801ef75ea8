"""Outcome-level models of designs the relapsing-MS disease model does not cover: an ordinal
(modified Rankin) primary with a continuous score (``ordinal_shift``), and a two-period
crossover with lesion counts (``crossover_counts``), in ``trialkit-design-scenarios/1`` files
where every assumption is a ``{value, source}``.

A file that declares its ``population`` (with ``accrual`` and ``conduct``) runs the whole
protocol (``design_trial``): candidates from the declared record distributions
(``declared_population``) screened by the protocol's eligibility engine, enrolment to the
randomized part's target, randomization by the protocol's own scheme (to a sequence in a
crossover part), visits in their windows, dropout, then these outcome models and the declared
analyses (the analysis package's proportional-odds model and negative binomial, run through
its registry as on the real data; the ANCOVA's proven-equal fast path; the within-participant
comparison; the Wilcoxon–Mann–Whitney shift test where a file declares it as a
sensitivity). Without a population, the randomized comparison only, at the protocol's group
sizes (the randomized part's target shared by its ratio).

Trial t of every scenario draws from ``SeedSequence(seed, spawn_key=(t,))``, as in the
runner: the same seed gives the same results on any number of workers, and scenarios share
trial streams.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import Field, ValidationError

from trialkit.core.protocol._base import Frozen, Ident, OptionalText, Text
from trialkit.core.protocol.model import Protocol
from trialkit.core.simulation import crossover, design_trial, ordinal
from trialkit.core.simulation.declared_population import DeclaredPool, Population
from trialkit.core.simulation.declared_population import problems as population_problems
from trialkit.core.simulation.fast_ancova import ancova_difference
from trialkit.core.simulation.scenario import ScenarioError
from trialkit.core.simulation.scenario_file import Num, Source, Value, cited

FORMAT = "trialkit-design-scenarios/1"
MODEL_KINDS = ("ordinal_shift", "crossover_counts")

Engine = Callable[[Sequence[design_trial.DesignSetup], int, int],
                  Sequence[Sequence[design_trial.Row]]]
"""Runs (setups, seed, trials) to every setup's rows in trial order: another engine than the
local processes (the CLI hands ``design_trial.run_task`` to Spark)."""


class OrdinalValues(Frozen):
    control_distribution: tuple[Num, ...] = Field(min_length=2)
    control_source: Ident | tuple[Ident, ...]
    odds_ratio: Value
    """Common odds ratio of a better (lower) category, treated against control."""
    score_change: Value
    """Control arm's mean change of the continuous score to the endpoint visit."""
    score_slope: Value
    """Change of the score per unit of latent recovery (positive: worse recovery, higher)."""
    score_noise: Value
    score_baseline_mean: Value
    score_baseline_sd: Value


class CrossoverValues(Frozen):
    lesions_per_scan: Value
    frailty_shape: Value
    rate_ratio: Value
    """Lesion rate on the active treatment against control, in either period."""
    period_ratio: Value
    """Lesion rate in period 2 against period 1, whatever the treatment."""


class Outcomes(Frozen):
    """Where the simulated outcomes are in the protocol: ``form.item`` and visits."""

    ordinal_item: Text | None = None
    score_item: Text | None = None
    endpoint_visit: Ident | None = None
    lesion_item: Text | None = None
    first_period_scans: tuple[Ident, ...] = ()
    second_period_scans: tuple[Ident, ...] = ()
    baseline_from: Text | None = None
    """``table.column`` of the patient record whose latest value at screening is the
    continuous score's baseline (a declared population's own ratings), instead of the
    ordinal section's baseline distribution."""


class DesignEndpoint(Frozen):
    id: Ident
    """The protocol's endpoint."""
    analysis: Literal["proportional_odds", "shift", "ancova",
                      "first_period_negative_binomial", "within_participant"]
    """``proportional_odds`` is the registry's method (the protocol's declared ordinal
    analysis); ``shift``, the Wilcoxon–Mann–Whitney test, only a sensitivity analysis."""


class DesignScenario(Frozen):
    id: Ident
    description: Text
    set: dict[str, Num] = Field(default_factory=dict)
    source: Ident | tuple[Ident, ...] | None = None
    """Why these values (required when the scenario sets any)."""


class DesignAccrual(Frozen):
    referrals_per_month: Value
    screening_days: Value
    """Days from referral to day 0."""


class DesignConduct(Frozen):
    dropout_per_year: Value


class DesignFile(Frozen):
    format: Literal["trialkit-design-scenarios/1"]
    title: Text
    protocol: OptionalText | None = None
    model: Literal["ordinal_shift", "crossover_counts"]
    alpha: Num = Field(default=0.05, gt=0, lt=1)
    sources: tuple[Source, ...] = Field(min_length=1)
    outcomes: Outcomes
    ordinal: OrdinalValues | None = None
    crossover: CrossoverValues | None = None
    endpoints: tuple[DesignEndpoint, ...] = Field(min_length=1)
    scenarios: tuple[DesignScenario, ...] = Field(min_length=1)
    population: Population | None = None
    """Candidates declared as data: with accrual and conduct, the whole protocol runs
    (design_trial); without, the randomized comparison only, at the protocol's group sizes."""
    accrual: DesignAccrual | None = None
    conduct: DesignConduct | None = None


def is_design_file(path: Path) -> bool:
    """Whether ``path`` holds a design-level scenario file (its ``format``)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(raw, dict) and raw.get("format") == FORMAT


def load(path: Path) -> tuple[DesignFile, dict[str, Any]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return _validate(raw), raw


def load_data(raw: Mapping[str, Any]) -> DesignFile:
    """A design file from its parsed data (ScenarioError naming every problem)."""
    return _validate(raw)


def _validate(raw: Mapping[str, Any]) -> DesignFile:
    try:
        file = DesignFile.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError([(".".join(str(p) for p in e["loc"]), e["msg"])
                             for e in exc.errors()]) from None
    known = {s.id for s in file.sources}
    unknown = sorted(set(cited_sources(file)) - known)
    unsourced = [s.id for s in file.scenarios if s.set and s.source is None]
    if unsourced:
        raise ScenarioError([("scenarios", f"scenario(s) {', '.join(unsourced)} set values "
                                           "without a source")])
    if unknown:
        raise ScenarioError([("sources", f"source id(s) not in sources: {', '.join(unknown)}")])
    return file


def cited_sources(file: DesignFile) -> list[str]:
    """Every source id the file's values cite."""
    cites = [*cited(file)]
    for scenario in file.scenarios:
        if scenario.source is not None:
            cites += [scenario.source] if isinstance(scenario.source, str) \
                else list(scenario.source)
    if file.population is not None:
        cites += file.population.cites()
    if file.ordinal is not None:
        source = file.ordinal.control_source
        cites += [source] if isinstance(source, str) else list(source)
    return cites


def protocol_path(file: DesignFile, path: Path) -> Path | None:
    return (path.parent / file.protocol).resolve() if file.protocol else None


@dataclass(frozen=True)
class Groups:
    """The randomized comparison as the protocol declares it."""

    labels: tuple[str, str]
    """Active (or active-first sequence), control (or control-first)."""
    sizes: tuple[int, int]


def check_against(file: DesignFile, protocol: Protocol) -> Groups:
    """The groups to simulate; ScenarioError naming every mismatch with the protocol."""
    problems = list(_problems(file, protocol))
    if problems:
        raise ScenarioError(problems)
    return _groups(file, protocol)


def _problems(file: DesignFile, protocol: Protocol) -> Iterator[tuple[str, str]]:
    randomization = protocol.randomization
    if randomization is None:
        yield ("", "the protocol randomizes no part: there is no comparison")
        return
    part = protocol.part(randomization.part)
    crossing = file.model == "crossover_counts"
    if crossing != part.is_crossover:
        yield ("model", f"'{file.model}' simulates a {'crossover' if crossing else 'parallel'}"
                        f" part; part '{part.id}' is {'' if part.is_crossover else 'not '}"
                        "a crossover part")
        return
    if crossing and (len(part.sequences) != 2 or len(part.periods) != 2):
        yield ("model", "crossover_counts simulates two sequences over two periods")
    if not crossing and len(part.arms) != 2:
        yield ("model", "ordinal_shift compares two arms")
    if (file.ordinal is None) == (file.model == "ordinal_shift"):
        yield (file.model.split("_")[0], f"the '{file.model}' model needs this section")
    if (file.crossover is None) == crossing:
        yield ("crossover", f"the '{file.model}' model needs this section")
    endpoints = {e.id: e for e in protocol.endpoints}
    for i, endpoint in enumerate(file.endpoints):
        if endpoint.id not in endpoints:
            yield (f"endpoints.{i}.id", f"'{endpoint.id}' is not an endpoint of the protocol")
        elif endpoint.analysis == "proportional_odds" and not any(
                a.method == "proportional_odds" for a in endpoints[endpoint.id].analyses):
            # The simulated test stands for the protocol's own analysis: it must declare it.
            yield (f"endpoints.{i}.analysis", f"'{endpoint.id}' declares no proportional_odds "
                                              "analysis in the protocol")
    yield from _outcome_problems(file, protocol)
    if file.outcomes.baseline_from is not None:
        table, _, column = file.outcomes.baseline_from.partition(".")
        tables = {t.id: {c.id for c in t.columns} for t in protocol.record_schema().tables}
        if file.population is None or column not in tables.get(table, set()):
            yield ("outcomes.baseline_from", f"'{file.outcomes.baseline_from}' is not a column "
                   "of the record, or the file declares no population")
    if file.population is not None:
        yield from population_problems(file.population, protocol)
        yield from design_trial.check(protocol)
        if file.accrual is None or file.conduct is None:
            yield ("population", "a declared population needs accrual and conduct too")
        if crossing:
            yield from _period_problems(file, protocol)


def _period_problems(file: DesignFile, protocol: Protocol) -> Iterator[tuple[str, str]]:
    """The second period's scans come after the first period's last scan plus the part's
    washout (a visit's ``period`` marks its administration's period, so the scan that closes
    period 1 may sit on the visit that opens period 2: the order of scans is what counts)."""
    randomization = protocol.randomization
    assert randomization is not None
    washout = protocol.part(randomization.part).washout_days
    days = {v.id: v.day for v in protocol.schedule.visits if v.day is not None}
    first = [days[v] for v in file.outcomes.first_period_scans if v in days]
    second = [days[v] for v in file.outcomes.second_period_scans if v in days]
    if first and second and min(second) <= max(first) + washout:
        yield ("outcomes.second_period_scans", f"a scan on day {min(second)}, not after the "
               f"first period's last scan (day {max(first)}) plus the washout ({washout} days)")


def _outcome_problems(file: DesignFile, protocol: Protocol) -> Iterator[tuple[str, str]]:
    out = file.outcomes
    visits = {v.id: v for v in protocol.schedule.visits}
    checks: list[tuple[str, str | None, tuple[str, ...]]] = []
    if file.model == "ordinal_shift":
        at_visit = (out.endpoint_visit,) if out.endpoint_visit else ()
        checks += [("outcomes.ordinal_item", out.ordinal_item, at_visit),
                   ("outcomes.score_item", out.score_item, at_visit)]
        if out.endpoint_visit not in visits:
            yield ("outcomes.endpoint_visit", f"'{out.endpoint_visit}' is not a visit")
    else:
        checks += [("outcomes.lesion_item", out.lesion_item,
                    (*out.first_period_scans, *out.second_period_scans))]
        for name, scans in (("first_period_scans", out.first_period_scans),
                            ("second_period_scans", out.second_period_scans)):
            if not scans:
                yield (f"outcomes.{name}", "at least one scan visit")
    for where, target, at in checks:
        if target is None:
            yield (where, "required by this model")
            continue
        form_id, _, item_id = target.partition(".")
        form = next((f for f in protocol.forms if f.id == form_id), None)
        item = next((i for i in form.items if i.id == item_id), None) if form else None
        if item is None:
            yield (where, f"'{target}' is not an item of the protocol's forms")
            continue
        if item.type != "integer":
            yield (where, f"'{target}' is a {item.type} item; the model simulates integers")
        for visit in at:
            if visit not in visits or form_id not in visits[visit].forms:
                yield (where, f"visit '{visit}' does not collect form '{form_id}'")
    if file.model == "ordinal_shift" and file.ordinal is not None and out.ordinal_item:
        item = _item(protocol, out.ordinal_item)
        categories = len(file.ordinal.control_distribution)
        if item is not None and item.range is not None and (
                item.range.max is None or item.range.min is None
                or item.range.max - item.range.min + 1 != categories):
            yield ("ordinal.control_distribution",
                   f"{categories} categories; the protocol's '{out.ordinal_item}' ranges "
                   f"{item.range.min}-{item.range.max}")


def _item(protocol: Protocol, target: str) -> Any:
    form_id, _, item_id = target.partition(".")
    form = next((f for f in protocol.forms if f.id == form_id), None)
    return next((i for i in form.items if i.id == item_id), None) if form else None


def _groups(file: DesignFile, protocol: Protocol) -> Groups:
    randomization = protocol.randomization
    assert randomization is not None
    part = protocol.part(randomization.part)
    target = part.enrolment_target
    if part.is_crossover:
        first, second = part.sequences
        weights = (float(randomization.ratio.get(first.id, 1)),
                   float(randomization.ratio.get(second.id, 1)))
        # The active-first sequence is the one whose first period's arm is not the control.
        labels = (first.label, second.label)
        if first.arms[0] == _control_arm(protocol, part.arms):
            labels, weights = (second.label, first.label), (weights[1], weights[0])
    else:
        control = _control_arm(protocol, part.arms)
        active = next(a for a in part.arms if a != control)
        weights = (float(randomization.ratio[active]), float(randomization.ratio[control]))
        names = {a.id: a.label for a in protocol.design.arms}
        labels = (names[active], names[control])
    n_first = round(target * weights[0] / sum(weights))
    return Groups(labels, (n_first, target - n_first))


def _control_arm(protocol: Protocol, arms: tuple[str, ...]) -> str:
    """The arm the declared analyses take as reference (else the last arm)."""
    references = {a.reference for e in protocol.endpoints for a in e.analyses if a.reference}
    found = [arm for arm in arms if arm in references]
    if found:
        return found[0]
    sequences = {s.id: s for p in protocol.design.parts for s in p.sequences}
    for reference in references:
        if reference in sequences:
            return sequences[reference].arms[0]
    return arms[-1]


@dataclass(frozen=True)
class EndpointOC:
    endpoint: str
    analysis: str
    rejection: float
    mcse: float
    oracle: float | None
    """The closed-form answer for the same design, where there is one."""
    oracle_name: str


@dataclass(frozen=True)
class DesignOC:
    scenario: str
    settings: tuple[tuple[str, float], ...]
    trials: int
    seed: int
    groups: Groups
    endpoints: tuple[EndpointOC, ...]
    whole: design_trial.WholeOC | None = None
    """Screening, enrolment and duration, when the file declares its population."""
    rows: tuple[dict[str, float], ...] = ()
    """One row per simulated trial, in trial order (``--rows``, the figures)."""


def scenarios(file: DesignFile, raw: Mapping[str, Any]) -> tuple[tuple[str, DesignFile,
                                                                      tuple[tuple[str, float],
                                                                            ...]], ...]:
    """(id, values, settings) of every scenario, its settings applied to the raw data."""
    found = []
    for scenario in file.scenarios:
        data = copy.deepcopy(dict(raw))
        for path, value in scenario.set.items():
            node: Any = data
            parts = path.split(".")
            for part in parts[:-1]:
                node = node.get(part) if isinstance(node, dict) else None
            leaf = node.get(parts[-1]) if isinstance(node, dict) else None
            if not isinstance(leaf, dict) or "value" not in leaf:
                raise ScenarioError([(f"scenarios.{scenario.id}.set.{path}",
                                      "is not a {value, source} entry of this file")])
            leaf["value"] = value
        found.append((scenario.id, _validate(data), tuple(scenario.set.items())))
    return tuple(found)


def simulate(file: DesignFile, raw: Mapping[str, Any], protocol: Protocol, *, trials: int,
             seed: int, workers: int = 1, pool_size: int = 2000,
             keep: tuple[str, ...] = (), engine: Engine | None = None) -> tuple[DesignOC, ...]:
    """Every scenario's characteristics (those whose id starts with one of ``keep``, if
    given); with a declared population the whole protocol (design_trial) on ``workers``
    local processes or on ``engine``, else the randomized comparison at the protocol's group
    sizes (in this process)."""
    if trials < 2:
        raise ValueError("trials: at least 2")
    groups = check_against(file, protocol)
    chosen = [s for s in scenarios(file, raw)
              if not keep or any(s[0].startswith(k) for k in keep)]
    if not chosen:
        raise ScenarioError([("scenarios", f"no scenario id starts with {', '.join(keep)}")])
    if file.population is None:
        return tuple(_scenario(name, values, settings, groups, trials, seed)
                     for name, values, settings in chosen)
    pools: dict[str, DeclaredPool] = {}
    setups = []
    for _, values, _ in chosen:
        assert values.population is not None
        key = values.population.model_dump_json()  # scenarios that share it share one pool
        if key not in pools:
            pools[key] = design_trial.pool_for(protocol, values, seed, pool_size)
        setups.append(design_trial.setup_for(protocol, values, pools[key], units_of(protocol)))
    every = (engine(setups, seed, trials) if engine is not None
             else [design_trial.run(setup, seed, trials, workers) for setup in setups])
    found = []
    for (name, values, settings), setup, rows in zip(chosen, setups, every, strict=True):
        results = []
        for endpoint in values.endpoints:
            rate = sum(r[f"endpoint.{endpoint.id}.reject"] for r in rows) / trials
            sizes = (round(np.mean([r[f"randomized.{u}"] for r in rows])) for u in setup.units)
            oracle, oracle_name = _oracle(values, endpoint.analysis, *sizes)
            results.append(EndpointOC(endpoint.id, endpoint.analysis, rate,
                                      math.sqrt(rate * (1 - rate) / trials), oracle,
                                      oracle_name))
        found.append(DesignOC(name, settings, trials, seed, groups, tuple(results),
                              design_trial.whole_oc(setup, rows), tuple(rows)))
    return tuple(found)


def units_of(protocol: Protocol) -> tuple[str, str]:
    """The allocation units (arm or sequence ids): active (or active-first), control (or
    control-first), as ``_groups`` orders their labels."""
    randomization = protocol.randomization
    assert randomization is not None
    part = protocol.part(randomization.part)
    control = _control_arm(protocol, part.arms)
    if part.is_crossover:
        first, second = part.sequences
        return (second.id, first.id) if first.arms[0] == control else (first.id, second.id)
    return next(a for a in part.arms if a != control), control


def _scenario(name: str, file: DesignFile, settings: tuple[tuple[str, float], ...],
              groups: Groups, trials: int, seed: int) -> DesignOC:
    rejections: dict[str, int] = {e.id: 0 for e in file.endpoints}
    n_a, n_c = groups.sizes
    rows = []
    for t in range(trials):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(t,)))
        row: dict[str, float] = {}
        for endpoint_id, p in _one_trial(file, rng, n_a, n_c).items():
            rejections[endpoint_id] += p < file.alpha
            row |= {f"endpoint.{endpoint_id}.p": p,
                    f"endpoint.{endpoint_id}.reject": float(p < file.alpha)}
        rows.append(row)
    results = []
    for endpoint in file.endpoints:
        rate = rejections[endpoint.id] / trials
        oracle, oracle_name = _oracle(file, endpoint.analysis, n_a, n_c)
        results.append(EndpointOC(endpoint.id, endpoint.analysis, rate,
                                  math.sqrt(rate * (1 - rate) / trials), oracle, oracle_name))
    return DesignOC(name, settings, trials, seed, groups, tuple(results), rows=tuple(rows))


def _one_trial(file: DesignFile, rng: np.random.Generator, n_a: int, n_c: int
               ) -> dict[str, float]:
    """Each endpoint's p-value in one simulated trial (NaN: not estimable)."""
    found: dict[str, float] = {}
    if file.ordinal is not None:
        o = file.ordinal
        treated = np.concatenate([np.ones(n_a, bool), np.zeros(n_c, bool)])
        category, latent = ordinal.draw(rng, o.control_distribution, o.odds_ratio.value,
                                        treated)
        baseline = rng.normal(o.score_baseline_mean.value, o.score_baseline_sd.value, n_a + n_c)
        change = (o.score_change.value + o.score_slope.value * latent
                  + rng.normal(0.0, o.score_noise.value, n_a + n_c))
        for endpoint in file.endpoints:
            if endpoint.analysis == "proportional_odds":
                found[endpoint.id] = ordinal.proportional_odds_test(
                    category, treated, len(o.control_distribution), 1 - file.alpha)
            elif endpoint.analysis == "shift":
                found[endpoint.id] = ordinal.shift_test(category[treated], category[~treated])
            elif endpoint.analysis == "ancova":
                found[endpoint.id] = ancova_difference(change, treated, None, baseline,
                                                       1 - file.alpha).p_value
    if file.crossover is not None:
        c, out = file.crossover, file.outcomes
        counts = crossover.draw_counts(
            rng, n_a, n_c, rate_per_scan=c.lesions_per_scan.value,
            scans=len(out.first_period_scans), frailty_shape=c.frailty_shape.value,
            rate_ratio=c.rate_ratio.value, period_ratio=c.period_ratio.value
            * len(out.second_period_scans) / len(out.first_period_scans))
        for endpoint in file.endpoints:
            if endpoint.analysis == "first_period_negative_binomial":
                try:
                    estimate, _ = crossover.first_period_counts(
                        counts, n_a, len(out.first_period_scans), 1 - file.alpha)
                    found[endpoint.id] = estimate.p_value
                except (ValueError, ArithmeticError, np.linalg.LinAlgError):
                    found[endpoint.id] = math.nan
            elif endpoint.analysis == "within_participant":
                found[endpoint.id] = crossover.within_participant_counts(counts, n_a).p_value
    return found


def _oracle(file: DesignFile, analysis: str, n_a: int, n_c: int) -> tuple[float | None, str]:
    if analysis in ("proportional_odds", "shift") and file.ordinal is not None:
        return (ordinal.whitehead_power(file.ordinal.control_distribution,
                                        file.ordinal.odds_ratio.value, n_a, n_c, file.alpha),
                "Whitehead 1993 (proportional odds)")
    if (file.ordinal is not None and file.ordinal.odds_ratio.value == 1.0) or (
            file.crossover is not None and file.crossover.rate_ratio.value == 1.0):
        return file.alpha, "nominal level (no effect)"
    return None, ""


def as_data(results: tuple[DesignOC, ...], file: DesignFile, protocol: Protocol | None = None,
            workers: int | None = None, engine: str | None = None) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if protocol is not None:
        extra["protocol"] = {"id": protocol.identity.id}
    if engine is not None:
        extra["engine"] = engine
    if workers is not None:
        extra["workers"] = workers
    return {"format": FORMAT, "title": file.title, "model": file.model, **extra,
            "sources": [s.model_dump() for s in file.sources],
            "scenarios": [{"id": r.scenario, "settings": dict(r.settings), "trials": r.trials,
                           "seed": r.seed, "groups": dict(zip(r.groups.labels, r.groups.sizes,
                                                              strict=True)),
                           "endpoints": [vars(e) for e in r.endpoints],
                           **({"whole_protocol": _whole_data(r.whole)} if r.whole else {})}
                          for r in results]}


def _whole_data(whole: design_trial.WholeOC) -> dict[str, Any]:
    return {"screened": vars(whole.screened), "duration_months": vars(whole.duration_months),
            "screen_failure": whole.screen_failure,
            "pool_screen_failure": whole.pool_screen_failure,
            "ruled_out_by": whole.ruled_out_by, "randomized_mean": whole.randomized,
            "dropout_before_last_visit": whole.dropout}


def markdown(results: tuple[DesignOC, ...], file: DesignFile) -> str:
    lines = [f"# {file.title}", "", f"Model `{file.model}`; {results[0].trials} simulated "
             f"trials per scenario, seed {results[0].seed}; P(reject) ± MCSE at two-sided "
             f"alpha {file.alpha:g}.", ""]
    groups = results[0].groups
    if results[0].whole is None:
        lines += [f"Groups: {groups.labels[0]} {groups.sizes[0]}, {groups.labels[1]} "
                  f"{groups.sizes[1]} (the protocol's target and allocation ratio).", ""]
    else:
        lines += ["Whole protocol: declared candidates screened by the protocol's eligibility "
                  "engine, enrolment to the part's target, randomization by the protocol's "
                  "scheme, visits in their windows, dropout.", "",
                  "| scenario | screened (mean ± MCSE; p10-p90) | screen failure | duration, "
                  "months (median; p10-p90) | randomized (mean) |", "|---|---|---|---|---|"]
        for r in results:
            w = r.whole
            assert w is not None
            lines.append(
                f"| {r.scenario} | {w.screened.mean:.1f} ± {w.screened.mcse:.1f}; "
                f"{w.screened.p10:.0f}-{w.screened.p90:.0f} | {w.screen_failure:.3f} | "
                f"{w.duration_months.p50:.1f}; {w.duration_months.p10:.1f}-"
                f"{w.duration_months.p90:.1f} | "
                + ", ".join(f"{u} {n:.1f}" for u, n in w.randomized.items()) + " |")
        w = results[0].whole
        assert w is not None
        lines += ["", f"Candidate pool: the engine refused {w.pool_screen_failure:.1%}; "
                  "criteria ruling out most: " + ", ".join(
                      f"{c} ({k})" for c, k in list(w.ruled_out_by.items())[:5]) + ".", ""]
    lines += ["| scenario | endpoint | analysis | P(reject) | closed form |",
              "|---|---|---|---|---|"]
    for r in results:
        for e in r.endpoints:
            oracle = f"{e.oracle:.3f} ({e.oracle_name})" if e.oracle is not None else ""
            lines.append(f"| {r.scenario} | {e.endpoint} | {e.analysis} | "
                         f"{e.rejection:.3f} ± {e.mcse:.3f} | {oracle} |")
    lines += ["", "## Sources", ""]
    lines += [f"- `{s.id}` [{s.marker}]: {s.citation}" for s in file.sources]
    return "\n".join(lines) + "\n"
