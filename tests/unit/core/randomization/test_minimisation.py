"""Pocock–Simon minimisation: scores, preference, ties, the p-biased draw, long-run balance."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import numpy as np
import pytest

from trialkit.core.protocol import Protocol
from trialkit.core.randomization import minimise, minimise_for, tally
from trialkit.core.randomization.minimisation import Measure, MinimisationDecision

ONE_TO_ONE = {"umsc01": 1, "placebo": 1}


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_with_p_one_the_arm_that_minimises_imbalance_is_always_chosen() -> None:
    counts = {"ms_course": {"RRMS": {"umsc01": 4, "placebo": 2}},
              "sex": {"F": {"umsc01": 3, "placebo": 3}}}
    for seed in range(50):
        decision = minimise(counts, {"ms_course": "RRMS", "sex": "F"}, ONE_TO_ONE, 1.0, "range",
                            rng(seed))
        assert decision.arm == "placebo"
        assert decision.preferred == ("placebo",)


def test_range_scores_are_exact_for_each_candidate_arm() -> None:
    counts = {"ms_course": {"RRMS": {"umsc01": 3, "placebo": 1}}}
    decision = minimise(counts, {"ms_course": "RRMS"}, ONE_TO_ONE, 0.8, "range", rng(0))
    totals = {s.arm: s.total for s in decision.scores}
    assert totals == {"umsc01": Fraction(3), "placebo": Fraction(1)}


def test_variance_scores_are_exact_for_each_candidate_arm() -> None:
    counts = {"ms_course": {"RRMS": {"umsc01": 3, "placebo": 1}}}
    decision = minimise(counts, {"ms_course": "RRMS"}, ONE_TO_ONE, 0.8, "variance", rng(0))
    totals = {s.arm: s.total for s in decision.scores}
    assert totals == {"umsc01": Fraction(9, 4), "placebo": Fraction(1, 4)}


def test_a_two_to_one_ratio_counts_two_to_one_as_balanced() -> None:
    ratio = {"active": 2, "control": 1}
    counts = {"site": {"S1": {"active": 2, "control": 1}}}
    decision = minimise(counts, {"site": "S1"}, ratio, 1.0, "range", rng(0))
    assert {s.arm: s.total for s in decision.scores} == {
        "active": Fraction(1, 2), "control": Fraction(1)}
    assert decision.arm == "active"


def test_the_preferred_arm_gets_p_and_the_other_one_minus_p() -> None:
    counts = {"ms_course": {"SPMS": {"umsc01": 0, "placebo": 1}}}
    decision = minimise(counts, {"ms_course": "SPMS"}, ONE_TO_ONE, 0.8, "range", rng(0))
    assert dict(decision.probabilities) == pytest.approx({"umsc01": 0.8, "placebo": 0.2})


def test_ties_are_broken_at_random_even_with_p_one() -> None:
    chosen = Counter(minimise({}, {"ms_course": "RRMS"}, ONE_TO_ONE, 1.0, "range", rng(s)).arm
                     for s in range(400))
    assert set(chosen) == {"umsc01", "placebo"}
    # Binomial(400, 1/2) lies within 200 ± 60 (6 standard deviations) but for ~1e-9.
    assert abs(chosen["umsc01"] - 200) <= 60


def redraw(decision: MinimisationDecision) -> str:
    cumulative = 0.0
    for arm, chance in decision.probabilities:
        cumulative += chance
        if decision.draw < cumulative:
            return arm
    raise AssertionError("the draw lies beyond the probabilities")


@pytest.mark.parametrize("seed", range(30))
def test_a_decision_can_be_re_derived_from_its_recorded_draw(seed: int) -> None:
    counts = {"ms_course": {"RRMS": {"umsc01": 2, "placebo": 1}}}
    decision = minimise(counts, {"ms_course": "RRMS"}, ONE_TO_ONE, 0.8, "range", rng(seed))
    assert redraw(decision) == decision.arm
    assert "Preferred: placebo" in decision.explanation()


def simulate(n: int, probability: float, measure: Measure, seed: int) -> int:
    """Largest |umsc01 − placebo| within any level seen while allocating ``n`` participants."""
    generator = rng(seed)
    history: list[tuple[dict[str, str], str]] = []
    counts: dict[str, dict[str, dict[str, int]]] = {}
    worst = 0
    for _ in range(n):
        level = str(generator.choice(["RRMS", "SPMS"]))
        arm = minimise(counts, {"ms_course": level}, ONE_TO_ONE, probability, measure,
                       generator).arm
        history.append(({"ms_course": level}, arm))
        by_arm = counts.setdefault("ms_course", {}).setdefault(level, {})
        by_arm[arm] = by_arm.get(arm, 0) + 1
        worst = max(worst, abs(by_arm.get("umsc01", 0) - by_arm.get("placebo", 0)))
    assert counts == tally(history)
    return worst


@pytest.mark.parametrize("measure", ["range", "variance"])
def test_minimisation_with_p_08_keeps_each_level_within_the_derived_bound(
        measure: Measure) -> None:
    """With one factor and two 1:1 arms, |D| = |n_umsc01 − n_placebo| in a level is a walk that
    steps towards 0 with p = 0.8 (away with q = 0.2) and leaves 0 to 1 on a tie. Its stationary
    law is π_k = π_1 (q/p)^(k−1), π_0 = p π_1, so P(|D| ≥ k) = 0.625 · 0.25^(k−1), and a walk
    started at 0 is dominated by it. Over 3 × 4000 steps the union bound gives
    P(max |D| ≥ 13) ≤ 12000 · 0.625 · 0.25^12 < 5e-4. Simple randomization of 2000 per level
    would wander about √2000 ≈ 45, so the bound is far from trivial (checked below)."""
    for seed in range(3):
        assert simulate(4000, 0.8, measure, seed) <= 12
    assert simulate(4000, 0.5, measure, 0) > 12


def test_minimise_for_reads_the_protocol_settings_and_checks_the_levels(
        reference_protocol: Protocol) -> None:
    assert reference_protocol.randomization is not None
    randomization = reference_protocol.randomization
    decision = minimise_for(randomization, {}, {"ms_course": "RRMS"}, rng(0))
    assert decision.measure == "range"
    assert sorted(dict(decision.probabilities)) == ["placebo", "umsc01"]
    with pytest.raises(ValueError, match=r"levels\.ms_course: missing"):
        minimise_for(randomization, {}, {}, rng(0))


def test_counts_naming_an_unknown_arm_or_a_negative_count_are_refused() -> None:
    with pytest.raises(ValueError, match=r"counts\.sex\.F: unknown arm\(s\) sham"):
        minimise({"sex": {"F": {"sham": 1}}}, {"sex": "F"}, ONE_TO_ONE, 0.8, "range", rng(0))
    with pytest.raises(ValueError, match="must not be negative"):
        minimise({"sex": {"F": {"placebo": -1}}}, {"sex": "F"}, ONE_TO_ONE, 0.8, "range", rng(0))
    with pytest.raises(ValueError, match="probability"):
        minimise({}, {"sex": "F"}, ONE_TO_ONE, 1.5, "range", rng(0))


def test_tally_counts_every_factor_level_by_arm() -> None:
    history = [({"ms_course": "RRMS", "sex": "F"}, "umsc01"),
               ({"ms_course": "RRMS", "sex": "M"}, "placebo"),
               ({"ms_course": "SPMS", "sex": "F"}, "umsc01")]
    assert tally(history) == {
        "ms_course": {"RRMS": {"umsc01": 1, "placebo": 1}, "SPMS": {"umsc01": 1}},
        "sex": {"F": {"umsc01": 2}, "M": {"placebo": 1}},
    }
