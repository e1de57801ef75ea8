"""The whole protocol runs on every protocol's scenario file (scenarios/<stem>.yaml):
candidates screened by the protocol's own engine, enrolment to the randomized part's target,
randomization by the protocol's scheme (to a sequence in a crossover), visits, the declared
analyses; the screen-failure rate is the engine's refusals; the null scenario rejects at the
nominal level."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import ROOT
from trialkit.core.eligibility.compile import compile_criteria, screen
from trialkit.core.eligibility.record import parse_record
from trialkit.core.simulation import design_trial, designs
from trialkit.core.simulation.attestations import attestation_answers
from trialkit.core.simulation.candidates import build_pool, referred_records
from trialkit.core.simulation.declared_population import (
    DeclaredPool,
    Population,
    problems,
    records,
)
from trialkit.core.simulation.runner import prepare_all, run_local
from trialkit.core.simulation.scenario import ScenarioError, expand, load_scenario_file
from trialkit.core.simulation.setup import start_of

POOL = 150
SIZE_HOLDS = ("ancova", "proportional_odds", "shift", "within_participant")
"""Analyses whose size is alpha at a trial's sizes: the ANCOVA's t test, the proportional-odds
odds ratio's Wald test and the shift test, the conditional within-participant comparison."""


def scenario_file(trial: Any) -> Path:
    """Every protocol in protocols/ has its scenario file of the same name."""
    path = ROOT / "scenarios" / f"{trial.stem}.yaml"
    assert path.is_file(), f"{trial.stem}: no scenario file in scenarios/"
    return path


def null_rows(trial: Any, trials: int, seed: int, workers: int = 1
              ) -> tuple[list[dict[str, float]], dict[str, str]]:
    """The rows of the file's first scenario (its no-effect one) and its endpoints' methods."""
    path = scenario_file(trial)
    if designs.is_design_file(path):
        file, raw = designs.load(path)
        designs.check_against(file, trial.protocol)
        _, values, _ = designs.scenarios(file, raw)[0]
        pool = design_trial.pool_for(trial.protocol, values, seed, POOL)
        setup = design_trial.setup_for(trial.protocol, values, pool,
                                       designs.units_of(trial.protocol))
        return (design_trial.run(setup, seed, trials, workers),
                {e.id: e.analysis for e in values.endpoints})
    reference, raw = load_scenario_file(path)
    first = expand(reference, raw)[:1]
    [setup] = prepare_all(trial.protocol, first, seed, POOL)
    return (list(run_local([setup], seed, trials, workers)[0]),
            {e.id: e.method for e in first[0].values.endpoints})


@pytest.mark.protocols("randomized")
def test_the_whole_protocol_runs_on_every_protocol(trial):
    rows, endpoints = null_rows(trial, 3, 11)
    part = trial.protocol.part(trial.protocol.randomization.part)
    for row in rows:
        assert row["screened"] >= row["enrolled"] > 0
        if not row.get("gate.stopped"):
            assert sum(row[k] for k in row if k.startswith("randomized.")) == \
                part.enrolment_target
        last = max(v.day for v in trial.protocol.schedule.visits if v.day is not None)
        assert row["duration_days"] > 0.5 * last
        for endpoint in endpoints:
            assert f"endpoint.{endpoint}.reject" in row


@pytest.mark.protocols("randomized")
def test_one_worker_and_two_give_the_same_trials(trial):
    one, _ = null_rows(trial, 4, 5, workers=1)
    two, _ = null_rows(trial, 4, 5, workers=2)
    assert all(a.keys() == b.keys() and all(
        a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)
        for a, b in zip(one, two, strict=True))


@pytest.mark.protocols("randomized")
def test_the_screen_failure_rate_is_the_share_the_engine_itself_refuses(trial):
    """The pool's verdicts are a fresh engine's verdicts on the same generated records, so
    the screen-failure rate is exactly the share of candidates the protocol's rules refuse."""
    protocol, seed = trial.protocol, 17
    compiled = compile_criteria(protocol)
    path = scenario_file(trial)
    if designs.is_design_file(path):
        file, _ = designs.load(path)
        pool = design_trial.pool_for(protocol, file, seed, POOL)
        schema, catalogue = protocol.record_schema(), protocol.lab_catalogue()
        verdicts = [screen(compiled, parse_record(data, schema, catalogue)).verdict
                    for data in pool.data]
        eligible = pool.eligible
    else:
        reference, _ = load_scenario_file(path)
        start = start_of(protocol, reference)
        built, _ = referred_records(protocol, reference, np.random.default_rng(seed), POOL,
                                    start)
        verdicts = [screen(compiled, record).verdict for record in built]
        eligible = build_pool(protocol, reference, np.random.default_rng(seed), POOL,
                              start).eligible
    refused = np.array([v != "eligible" for v in verdicts])
    assert (~refused == eligible).all()
    assert 0 < refused.mean() < 1  # the rules select, and someone qualifies
    assert 1 - eligible.mean() == pytest.approx(refused.mean(), abs=1e-12)


@pytest.mark.protocols("crossover")
def test_the_sequences_are_balanced_as_the_protocol_s_blocks_allow(trial):
    """Randomized to a sequence by the protocol's permuted blocks: after every participant,
    each sequence's count is within max block x r(1 - r) of its share r of those so far (a
    block fills each sequence exactly; a part-filled block is off by at most that)."""
    path = scenario_file(trial)
    file, _ = designs.load(path)
    protocol = trial.protocol
    randomization = protocol.randomization
    part = protocol.part(randomization.part)
    setup = design_trial.setup_for(protocol, file, design_trial.pool_for(protocol, file, 3, POOL),
                                   designs.units_of(protocol))
    total = sum(randomization.ratio.values())
    widest = max(randomization.permuted_blocks.block_sizes)
    assert set(setup.units) == {s.id for s in part.sequences}
    for t in range(30):
        units = design_trial.enrol(setup, design_trial.trial_rng(3, t)).units
        assert len(units) == part.enrolment_target
        for sequence in part.sequences:
            share = randomization.ratio[sequence.id] / total
            counts = np.cumsum([u == sequence.id for u in units])
            drift = np.abs(counts - share * np.arange(1, len(units) + 1))
            assert drift.max() <= widest * share * (1 - share) + 1e-9


@pytest.mark.protocols("randomized")
def test_the_null_scenario_rejects_at_the_nominal_level(trial):
    """Known answer: with no effect each declared analysis whose size is exact or holds at
    these sizes rejects at alpha, within 3 MCSE (count models at 10 per sequence and Fisher's
    exact test are below or above it by their own known amounts: test_type_one_error.py)."""
    trials = 160
    rows, endpoints = null_rows(trial, trials, 23)
    held = [e for e, method in endpoints.items() if method in SIZE_HOLDS]
    assert held, "no analysis with a known size"
    for endpoint in held:
        # Trials a committee gate stopped never reach the analysis (the reference's 1 in 6
        # rule stops about 11 % at its 2 % risk).
        analysed = [r for r in rows if f"endpoint.{endpoint}.reject" in r]
        assert len(analysed) > 0.8 * trials
        assert np.mean([r[f"endpoint.{endpoint}.failed"] for r in analysed]) < 0.02
        size = np.mean([r[f"endpoint.{endpoint}.reject"] for r in analysed])
        mcse = math.sqrt(0.05 * 0.95 / len(analysed))
        assert size == pytest.approx(0.05, abs=3 * mcse), endpoint


@pytest.mark.protocols("crossover")
def test_a_second_period_scan_inside_the_first_period_and_washout_is_refused(trial):
    path = scenario_file(trial)
    file, raw = designs.load(path)
    designs.check_against(file, trial.protocol)  # the file as written fits
    last_first = file.outcomes.first_period_scans[-1]
    raw = {**raw, "outcomes": {**raw["outcomes"], "second_period_scans": [last_first]}}
    with pytest.raises(ScenarioError) as caught:
        designs.check_against(designs.load_data(raw), trial.protocol)
    assert [p for p, _ in caught.value.problems] == ["outcomes.second_period_scans"]


@pytest.mark.protocols("randomized")
def test_a_declared_population_must_fit_the_protocol_s_record_and_answer_its_attestations(
        trial):
    """Built from the protocol's own record schema: a table and a column the record does not
    have, an anchor or a condition on a table listed later and every unanswered attestation
    the criteria read are each refused by path; the well-formed population generates records
    whose rows carry the declared values (a conditional one by its case) on the declared
    dates."""
    protocol = trial.protocol
    table = next(t for t in protocol.record_schema().tables
                 if any(c.type == "count" for c in t.columns))
    column = next(c.id for c in table.columns if c.type == "count")
    keys = [k for k, _, _ in attestation_answers(compile_criteria(protocol))]
    source = {"source": "s"}
    good = {"age_years": {"value": 40, **source}, "female": {"value": 0.5, **source},
            "attestations": {k: {"value": 1.0, **source} for k in keys},
            "tables": [{"table": table.id, "day": {"value": -10, **source},
                        "rows": {"value": 2, **source},
                        "columns": {column: {"value": 3, **source}}},
                       {"table": table.id, "after": table.id, "day": {"value": 1, **source},
                        "columns": {column: {"given": f"{table.id}.{column}", **source,
                                             "cases": {"3": {"value": 7, **source},
                                                       "4": {"value": 8, **source}}}}}]}
    population = Population.model_validate(good)
    assert problems(population, protocol) == []
    data = records(population, protocol, np.random.default_rng(1), 3, dt.date(2024, 5, 1))
    # The second entry's value is the case of the first row's value (3 → 7), a day later.
    assert [row[column] for row in data[0][table.id]] == [3, 3, 7]
    assert {row[table.date] for d in data for row in d[table.id]} == {"2024-04-21",
                                                                         "2024-04-22"}
    pool = DeclaredPool(tuple(data), np.ones(3, bool), {}, {}, ((),) * 3)
    assert design_trial.latest_values(pool, protocol, f"{table.id}.{column}").tolist() == [7.0] * 3
    bad = {**good, "attestations": {},
           "tables": [{"table": "no_such_table", "day": {"value": 0, **source}},
                      {"table": table.id, "after": "later", "day": {"value": 0, **source},
                       "columns": {"no_such_column": {"value": 1, **source},
                                   column: {"given": "later.x", **source,
                                            "cases": {"1": {"value": 1, **source}}}}}]}
    found = dict(problems(Population.model_validate(bad), protocol))
    assert "population.tables.0.table" in found
    assert "population.tables.1.columns.no_such_column" in found
    assert "population.tables.1.after" in found
    assert f"population.tables.1.columns.{column}.given" in found
    assert ("population.attestations" in found) == bool(keys)


def _design_files_with_an_ancova_and_another_endpoint() -> list[Path]:
    found = []
    for protocol in sorted((ROOT / "protocols").glob("*.yaml")):
        path = ROOT / "scenarios" / f"{protocol.stem}.yaml"
        if path.is_file() and designs.is_design_file(path):
            file, raw = designs.load(path)
            analyses = [e.analysis for e in designs.scenarios(file, raw)[0][1].endpoints]
            if "ancova" in analyses and len(analyses) > 1:
                found.append(protocol)
    return found


@pytest.mark.parametrize("protocol_path", _design_files_with_an_ancova_and_another_endpoint(),
                         ids=lambda p: p.stem)
def test_an_endpoint_s_participants_do_not_depend_on_the_endpoints_before_it(protocol_path):
    """An ANCOVA drops participants without a baseline rating; an endpoint listed after it
    must still count everyone rated (the ANCOVA once narrowed the set for the rest)."""
    import dataclasses

    from tests.protocol_cases import case_for

    trial = case_for(protocol_path)
    file, raw = designs.load(scenario_file(trial))
    _, values, _ = designs.scenarios(file, raw)[0]
    pool = design_trial.pool_for(trial.protocol, values, 7, POOL)
    setup = design_trial.setup_for(trial.protocol, values, pool,
                                   designs.units_of(trial.protocol))
    some_without = np.array(setup.baseline, dtype=float)
    some_without[::3] = np.nan  # a third of the candidates have no baseline rating
    setup = dataclasses.replace(setup, baseline=some_without)
    ancova_last = design_trial.run(setup, 7, 5)
    reordered = values.model_copy(update={"endpoints": tuple(sorted(
        values.endpoints, key=lambda e: e.analysis != "ancova"))})
    ancova_first = design_trial.run(dataclasses.replace(setup, file=reordered), 7, 5)
    others = [e.id for e in values.endpoints if e.analysis != "ancova"]
    for before, after in zip(ancova_last, ancova_first, strict=True):
        for endpoint in others:
            assert before[f"endpoint.{endpoint}.n"] == after[f"endpoint.{endpoint}.n"]
