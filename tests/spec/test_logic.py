"""Kleene three-valued logic: and / or / not over met, not_met and unknown."""

from __future__ import annotations

import itertools

from tests.spec.support import Engine, patient
from trialkit.core.eligibility import nodes as n

A, B = n.Attested("a"), n.Attested("b")
VALUES = {True: "met", False: "not_met", None: "unknown"}


def _pairs() -> list[tuple[str, bool | None, bool | None]]:
    return [(f"P{i}", a, b) for i, (a, b) in
            enumerate(itertools.product([True, False, None], repeat=2))]


def _patients():
    return [patient(pid, attestations={k: v for k, v in (("a", a), ("b", b)) if v is not None})
            for pid, a, b in _pairs()]


def test_and_or_not_follow_the_kleene_truth_tables(engine: Engine) -> None:
    criteria = {"and": n.And((A, B)), "or": n.Or((A, B)), "not": n.Not(A)}
    got = engine.run(criteria, _patients())
    for pid, a, b in _pairs():
        sa, sb = VALUES[a], VALUES[b]
        expected_and = ("not_met" if "not_met" in (sa, sb)
                        else "unknown" if "unknown" in (sa, sb) else "met")
        expected_or = ("met" if "met" in (sa, sb)
                       else "unknown" if "unknown" in (sa, sb) else "not_met")
        expected_not = {"met": "not_met", "not_met": "met", "unknown": "unknown"}[sa]
        assert (got[pid]["and"], got[pid]["or"], got[pid]["not"]) == \
            (expected_and, expected_or, expected_not), (pid, a, b)


def test_unknown_and_false_is_false_but_unknown_and_true_is_unknown(engine: Engine) -> None:
    rule = n.And((A, n.Not(B)))
    records = [patient("false", attestations={"b": True}),
               patient("unknown", attestations={"b": False})]
    assert engine.statuses(rule, records) == {"false": "not_met", "unknown": "unknown"}


def test_an_attestation_is_met_not_met_or_unknown_when_absent(engine: Engine) -> None:
    records = [patient("yes", attestations={"a": True}), patient("no", attestations={"a": False}),
               patient("absent"), patient("null", attestations={"a": None})]
    assert engine.statuses(A, records) == {"yes": "met", "no": "not_met", "absent": "unknown",
                                           "null": "unknown"}


def test_the_verdict_needs_every_inclusion_met_and_is_never_eligible_on_unknowns(
        engine: Engine) -> None:
    records = [patient("all", attestations={"a": True, "b": True}),
               patient("one_fails", attestations={"a": True, "b": False}),
               patient("one_unknown", attestations={"a": True})]
    got = engine.run({"A": A, "B": B}, records)
    assert {pid: row["verdict"] for pid, row in got.items()} == {
        "all": "eligible", "one_fails": "ineligible", "one_unknown": "incomplete"}


def test_an_exclusion_that_is_met_makes_the_patient_ineligible(engine: Engine) -> None:
    records = [patient("excluded", attestations={"a": True}),
               patient("clear", attestations={"a": False}), patient("unsure")]
    got = engine.run({"E": A}, records, kind="exclusion")
    assert {pid: row["verdict"] for pid, row in got.items()} == {
        "excluded": "ineligible", "clear": "eligible", "unsure": "incomplete"}
