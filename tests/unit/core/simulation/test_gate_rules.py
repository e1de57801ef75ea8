"""The committee's stopping rule: P(stop | true rate) is the binomial or beta-binomial formula
exactly, the simulated gate stops that often, and the rule's verdict on observed counts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tests.unit.core.simulation.conftest import reference_raw, scenarios_of, set_value
from trialkit.core.protocol.gates import BetaPrior, CountAtLeast, GateEvent, PosteriorThreshold
from trialkit.core.simulation import enrolment
from trialkit.core.simulation.gate_rules import (
    boundary,
    counts_toward,
    gate_status,
    gate_stop_table,
    stop_probability,
    stops_at,
)
from trialkit.core.simulation.setup import prepare
from trialkit.core.simulation.trial import run_part

EVENT = GateEvent(description="related serious adverse event",
                  related=("possible", "probable", "definite"))
RATES = (0.05, 0.10, 0.20, 0.30, 0.50)


def count_rule(k: int, n: int = 6) -> CountAtLeast:
    return CountAtLeast(kind="count_at_least", events=k, of_participants=n, event=EVENT)


def posterior_rule(threshold: float, probability: float) -> PosteriorThreshold:
    return PosteriorThreshold(kind="posterior_threshold", prior=BetaPrior(a=1.0, b=1.0),
                              threshold_rate=threshold, probability=probability,
                              of_participants=6, event=EVENT)


@pytest.mark.parametrize(("k", "published"), [
    (1, (0.265, 0.469, 0.738, 0.882, 0.984)),
    (2, (0.033, 0.114, 0.345, 0.580, 0.891)),
    (3, (0.002, 0.016, 0.099, 0.256, 0.656)),
])
def test_stop_if_k_of_6_stops_with_the_published_binomial_probabilities(k, published):
    table = gate_stop_table(count_rule(k), RATES)
    assert [round(row.p_stop, 3) for row in table] == list(published)
    assert [row.p_stop for row in table] == [stats.binom.sf(k - 1, 6, p) for p in RATES]


@pytest.mark.parametrize(("threshold", "probability", "published"), [
    (0.20, 0.8, (0.149, 0.291, 0.541, 0.731, 0.938)),
    (0.33, 0.9, (0.003, 0.016, 0.078, 0.194, 0.531)),
])
def test_a_beta_posterior_rule_stops_with_the_published_probabilities(threshold, probability,
                                                                     published):
    table = gate_stop_table(posterior_rule(threshold, probability), RATES)
    assert [round(row.p_stop, 3) for row in table] == list(published)


def test_the_posterior_rule_equals_enumerating_every_sequence_of_six():
    rule, rate = posterior_rule(0.33, 0.9), 0.3
    limits = boundary(rule)
    total = 0.0
    for code in range(2 ** 6):
        events = [(code >> i) & 1 for i in range(6)]
        seen = np.cumsum(events)
        stops = any(limit is not None and seen[m] >= limit for m, limit in enumerate(limits))
        total += stops * rate ** sum(events) * (1 - rate) ** (6 - sum(events))
    assert stop_probability(rule, rate) == pytest.approx(total, abs=1e-14)


def test_the_expected_number_reviewed_counts_the_participants_until_the_rule_decides():
    [row] = gate_stop_table(count_rule(1), (0.5,))
    assert row.expected_reviewed == pytest.approx(sum(0.5 ** m for m in range(6)))


def test_stops_at_finds_the_first_participant_at_which_the_rule_stops():
    events = np.array([[0, 0, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0]], dtype=bool)
    assert list(stops_at(count_rule(2), events)) == [5, 0, 2]
    assert list(stops_at(count_rule(1), events)) == [3, 0, 1]


def test_the_rule_s_verdict_on_observed_counts_says_why():
    status = gate_status(count_rule(1), events=1, participants=4)
    assert status.stop and "1 of 4" in status.explanation
    calm = gate_status(posterior_rule(0.2, 0.8), events=0, participants=6)
    assert not calm.stop and calm.posterior == pytest.approx(0.8 ** 7)
    with pytest.raises(ValueError, match="events"):
        gate_status(count_rule(1), events=5, participants=4)


def test_only_events_of_the_rule_s_definition_count():
    graded = GateEvent(description="grade 3+", serious=False, minimum_grade=3)
    assert counts_toward(EVENT, serious=True, related=True)
    assert not counts_toward(EVENT, serious=True, related=False)
    assert not counts_toward(EVENT, serious=False, related=True)
    assert counts_toward(graded, serious=False, related=False, grade=3)
    assert not counts_toward(graded, serious=False, related=False, grade=2)


def test_the_reference_protocol_declares_stop_if_one_of_six_has_a_related_sae(protocol):
    [gate] = protocol.gates.committee
    rule = gate.stopping_rule
    assert isinstance(rule, CountAtLeast) and (rule.events, rule.of_participants) == (1, 6)
    assert rule.event.serious and set(rule.event.related) == {"possible", "probable",
                                                               "definite"}
    assert [round(r.p_stop, 3) for r in gate_stop_table(gate.stopping_rule)[:4]] == [
        0.265, 0.469, 0.738, 0.882]


@pytest.mark.parametrize("rate", [0.10, 0.30])
def test_the_simulated_gate_stops_as_often_as_the_formula_says(protocol, reference_pool, rate):
    """Phase I cohorts of the whole model (adverse events by route, the sequential rule) and
    the committee's evaluation of the declared rule on them."""
    raw = reference_raw()
    set_value(raw, "safety.related_serious_risk", rate)
    setup = prepare(protocol, scenarios_of(raw, "reference")[0], reference_pool)
    part = setup.plan.parts[0]
    rng = np.random.default_rng(int(rate * 100))
    stopped = []
    for _ in range(1000):
        run = run_part(setup, rng, part, 0.0)
        decision = enrolment.committee(setup.plan.parts[1].gate, setup, run.day0, run.doses,
                                       run.events)
        stopped.append(decision.stopped)
    simulated, exact = np.mean(stopped), stats.binom.sf(0, 6, rate)
    assert simulated == pytest.approx(exact, abs=3 * np.sqrt(exact * (1 - exact) / 1000))
