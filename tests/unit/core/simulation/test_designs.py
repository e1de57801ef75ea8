"""The ordinal (mRS shift) and crossover models, and the design-level scenario files that
simulate the stroke and crossover protocols (core.simulation.ordinal, crossover, designs).

Known answers: the treated distribution has the stated common odds ratio at every cut point;
the proportional-odds analysis (the registry's method, as the protocol declares) and the
shift test have a nominal type I error and Whitehead's (1993) closed-form power;
the crossover's t test on period differences has its exact noncentral-t power; the
within-participant count comparison keeps its level under a period effect and overdispersion.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml
from scipy import special

from tests.conftest import ROOT
from trialkit.cli.main import main
from trialkit.core.protocol import load_protocol
from trialkit.core.simulation import crossover, designs, ordinal
from trialkit.core.simulation.scenario import ScenarioError

CONTROL = (0.00, 0.02, 0.08, 0.20, 0.35, 0.30, 0.05)
STROKE = ROOT / "scenarios" / "nct01716481.yaml"
CROSSOVER = ROOT / "scenarios" / "nct01854957.yaml"


def within(simulated: float, exact: float, trials: int, slack: float = 0.0) -> bool:
    return abs(simulated - exact) <= 3 * math.sqrt(exact * (1 - exact) / trials) + slack


# -- ordinal ------------------------------------------------------------------------------------

def test_every_cumulative_odds_ratio_is_the_common_odds_ratio():
    treated = ordinal.treated_distribution(CONTROL, 2.5)
    assert treated.sum() == pytest.approx(1.0)
    for k in range(1, len(CONTROL) - 1):  # cut points with 0 < P(Y ≤ k) < 1
        log_odds = [special.logit(np.cumsum(p)[k]) for p in (treated, np.array(CONTROL))]
        assert log_odds[0] - log_odds[1] == pytest.approx(math.log(2.5))


def test_the_drawn_categories_follow_both_arms_distributions():
    rng = np.random.default_rng(1)
    treated = np.arange(200_000) % 2 == 0
    category, _ = ordinal.draw(rng, CONTROL, 2.5, treated)
    for arm, expected in ((~treated, np.array(CONTROL)),
                          (treated, ordinal.treated_distribution(CONTROL, 2.5))):
        observed = np.bincount(category[arm], minlength=7) / arm.sum()
        se = np.sqrt(expected * (1 - expected) / arm.sum())
        assert np.all(np.abs(observed - expected) <= 4 * se + 1e-12)


def test_the_ordinal_analyses_hold_their_level_and_reach_whitehead_s_power():
    trials = 2000
    null = ordinal.simulate_trials(np.random.default_rng(2), control=CONTROL, odds_ratio=1.0,
                                   n_active=40, n_control=20, trials=trials, score_slope=2.0,
                                   score_noise=2.5, score_baseline=(12, 4), score_change=-3)
    assert within(null.power_ordinal, 0.05, trials)
    assert within(null.power_shift, 0.05, trials)
    assert within(null.power_score, 0.05, trials)
    effect = ordinal.simulate_trials(np.random.default_rng(3), control=CONTROL, odds_ratio=2.0,
                                     n_active=100, n_control=50, trials=trials,
                                     score_slope=2.0, score_noise=2.5,
                                     score_baseline=(12, 4), score_change=-3)
    exact = ordinal.whitehead_power(CONTROL, 2.0, 100, 50)
    # Whitehead's variance is a local (small-effect) approximation: at OR 2 it overstates the
    # power by about 0.02 at this size (0.600 ± 0.009 against 0.617 in development).
    assert within(effect.power_ordinal, exact, trials, slack=0.025)
    assert within(effect.power_shift, exact, trials, slack=0.025)
    # The score's effect follows from the odds ratio: −slope × log(OR).
    assert effect.score_truth == pytest.approx(-2.0 * math.log(2.0))
    assert abs(effect.score_estimate - effect.score_truth) < 0.05


# -- crossover ----------------------------------------------------------------------------------

def test_the_crossover_t_test_has_its_exact_level_and_noncentral_t_power():
    trials, rng = 3000, np.random.default_rng(4)
    for effect in (0.0, 0.5):
        rejected = sum(
            crossover.analyse_continuous(crossover.draw_continuous(
                rng, 10, 12, effect=effect, period_effect=0.4, sd=1.0, correlation=0.6),
                10).p_value < 0.05 for _ in range(trials))
        exact = crossover.crossover_power(effect=effect, sd=1.0, correlation=0.6, n_ab=10,
                                          n_ba=12)
        assert within(rejected / trials, exact, trials), (effect, rejected / trials, exact)
    assert crossover.crossover_power(effect=0.5, sd=1.0, correlation=0.6, n_ab=10, n_ba=10) \
        > crossover.parallel_power(effect=0.5, sd=1.0, n_a=10, n_b=10)


def test_the_within_participant_count_comparison_keeps_its_level_under_a_period_effect():
    trials, rng = 2000, np.random.default_rng(5)
    rejected, estimates = 0, []
    for _ in range(trials):
        counts = crossover.draw_counts(rng, 10, 10, rate_per_scan=1.19, scans=3,
                                       frailty_shape=0.5, rate_ratio=1.0, period_ratio=0.6)
        found = crossover.within_participant_counts(counts, 10)
        rejected += found.p_value < 0.05
        estimates.append(found.estimate)
    assert within(rejected / trials, 0.05, trials)
    big = crossover.draw_counts(np.random.default_rng(6), 4000, 4000, rate_per_scan=1.19,
                                scans=3, frailty_shape=0.5, rate_ratio=0.5, period_ratio=0.6)
    found = crossover.within_participant_counts(big, 4000)
    assert abs(found.estimate - math.log(0.5)) < 3 * found.se


# -- the design files and the protocols ---------------------------------------------------------

@pytest.mark.parametrize("path", [STROKE, CROSSOVER])
def test_each_design_file_cites_every_source_it_lists_and_fits_its_protocol(path):
    file, _ = designs.load(path)
    cited = set(designs.cited_sources(file))
    text = path.read_text()
    for source in file.sources:  # cited by a value, or named in another source's reasoning
        assert source.id in cited or f"({source.id})" in text, source.id
    protocol = load_protocol(designs.protocol_path(file, path))
    groups = designs.check_against(file, protocol)
    part = protocol.part(protocol.randomization.part)
    assert sum(groups.sizes) == part.enrolment_target
    assert {e.id for e in file.endpoints} <= {e.id for e in protocol.endpoints}


def test_the_simulated_mrs_is_analysed_by_the_protocol_s_declared_method():
    """The stroke file's primary runs the registry's proportional_odds, which the protocol
    declares for that endpoint; a file claiming it for an endpoint without it is refused."""
    stroke, raw = designs.load(STROKE)
    protocol = load_protocol(ROOT / "protocols" / "nct01716481.yaml")
    [primary] = [e for e in stroke.endpoints if e.analysis == "proportional_odds"]
    declared = {e.id: e for e in protocol.endpoints}[primary.id]
    assert "proportional_odds" in {a.method for a in declared.analyses}
    assert "shift" not in {e.analysis for e in stroke.endpoints}  # WMW only as a sensitivity
    raw = {**raw, "endpoints": [{"id": "nihss_change", "analysis": "proportional_odds"}]}
    with pytest.raises(ScenarioError, match="declares no proportional_odds"):
        designs.check_against(designs._validate(raw), protocol)


def test_the_groups_follow_the_protocols_ratio():
    stroke, _ = designs.load(STROKE)
    assert designs.check_against(stroke, load_protocol(ROOT / "protocols" / "nct01716481.yaml")
                                 ).sizes == (40, 20)  # 60 at 2:1
    cross, _ = designs.load(CROSSOVER)
    groups = designs.check_against(cross, load_protocol(ROOT / "protocols" / "nct01854957.yaml"))
    assert groups.sizes == (10, 10)
    assert groups.labels[0].lower().startswith("msc then")  # the active-first sequence


def test_a_design_file_is_refused_by_a_protocol_it_does_not_describe():
    stroke, raw = designs.load(STROKE)
    crossing = load_protocol(ROOT / "protocols" / "nct01854957.yaml")
    with pytest.raises(ScenarioError, match="crossover"):
        designs.check_against(stroke, crossing)
    reference = load_protocol(ROOT / "protocols" / "nct05532943.yaml")
    with pytest.raises(ScenarioError) as refused:
        designs.check_against(stroke, reference)
    assert any(path.startswith("outcomes.") or path.startswith("endpoints.")
               for path, _ in refused.value.problems)
    raw = {**raw, "ordinal": {**raw["ordinal"],
                              "control_distribution": [0.2, 0.2, 0.2, 0.2, 0.2]}}
    wrong = designs._validate(raw)
    with pytest.raises(ScenarioError, match="5 categories"):
        designs.check_against(wrong, load_protocol(ROOT / "protocols" / "nct01716481.yaml"))


def test_trialkit_simulate_runs_both_files_deterministically(tmp_path):
    for path in (STROKE, CROSSOVER):
        outs = []
        for run in ("a", "b"):
            out = tmp_path / f"{path.stem}-{run}"
            assert main(["simulate", str(path), "--trials", "20", "--seed", "9", "--out",
                         str(out)]) == 0
            outs.append(json.loads((out / "summary.json").read_text()))
        assert outs[0] == outs[1]
        ids = [e["endpoint"] for e in outs[0]["scenarios"][0]["endpoints"]]
        assert ids == [e["id"] for e in yaml.safe_load(path.read_text())["endpoints"]]
        assert outs[0]["scenarios"][0]["seed"] == 9 and outs[0]["scenarios"][0]["trials"] == 20
