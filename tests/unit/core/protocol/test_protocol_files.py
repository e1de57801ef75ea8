"""Every protocol file in protocols/ is complete enough to run a trial.

Parametrised over protocols/*.yaml (not the library folder), so a new trial's file is checked
the moment it is added: it loads, its readings and assumptions point at real settings, each
criterion is executable or says why a person must judge it, each form says what it is and who
enters it, the screening forms can feed every record table and attestation the rules read,
and a crossover part gives every arm in every period. The versions of the two trials written
from registry records are pinned, so a change of their meaning cannot go unnoticed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility.language import RuleContext
from trialkit.core.protocol import Protocol, load_protocol, protocol_version
from trialkit.core.protocol.consistency import resolve

PROTOCOLS = sorted((ROOT / "protocols").glob("*.yaml"))

def _ids(paths: list[Path]) -> list[str]:
    return [path.stem for path in paths]


@pytest.fixture(scope="module", params=PROTOCOLS, ids=_ids(PROTOCOLS))
def protocol(request: pytest.FixtureRequest) -> Protocol:
    return load_protocol(request.param)


def test_there_are_three_trials_on_one_code_base():
    assert {"nct05532943", "nct01854957", "nct01716481"} <= set(_ids(PROTOCOLS))


def test_every_interpretation_governs_settings_that_exist(protocol):
    for interpretation in protocol.interpretations:
        for path in interpretation.governs:
            resolve(protocol, path)  # raises LookupError naming the path


def test_every_assumption_and_reading_says_why(protocol):
    for interpretation in protocol.interpretations:
        assert interpretation.statement.strip() and interpretation.rationale.strip(), \
            interpretation.id


def test_every_criterion_has_a_rule_or_a_reading_saying_why_not(protocol):
    for criterion in protocol.eligibility.criteria:
        has_rule = bool(criterion.rule and criterion.rule.strip())
        explained = bool(criterion.reading and criterion.reading.strip())
        assert has_rule or explained, f"{criterion.id}: no rule and no reading"


def test_every_form_says_what_it_is_and_who_enters_it(protocol):
    roles = {role.id for role in protocol.roles}
    for form in protocol.forms:
        assert form.kind, form.id
        assert form.entered_by and set(form.entered_by) <= roles, form.id


def _reads(node: object) -> Iterator[str]:
    """The record fields a rule's node tree reads: ``table`` names, ``attestations.KEY`` and
    the patient fields behind ``age`` and ``sex``."""
    if isinstance(node, n.Attested):
        yield f"attestations.{node.key}"
    elif isinstance(node, n.TableRef):
        yield node.name
        return
    elif isinstance(node, n.Age):
        yield "patient.birth_date"
    elif isinstance(node, n.Sex):
        yield "patient.sex"
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            yield from _reads(getattr(node, field.name))
    elif isinstance(node, tuple):
        for part in node:
            yield from _reads(part)


def _needed(protocol: Protocol) -> set[str]:
    """Fields the executable criteria read (a criterion without a rule is a person's call)."""
    context = RuleContext.of(protocol)
    return {field for criterion in protocol.eligibility.criteria if criterion.rule
            for field in _reads(context.parse(criterion.rule))}


def _fed_at_screening(protocol: Protocol) -> set[str]:
    """What the forms of the screening visits (those before day 0) map to: tables by name,
    attestations and patient fields by ``table.column``."""
    forms = {form_id for visit in protocol.schedule.visits
             if visit.day is not None and visit.day < 0 for form_id in visit.forms}
    fed: set[str] = set()
    for form in protocol.forms:
        if form.id in forms:
            for item in form.items:
                if item.maps_to is not None:
                    fed |= {item.maps_to.table, item.maps_to.to}
    return fed


@pytest.mark.parametrize("path", PROTOCOLS, ids=_ids(PROTOCOLS))
def test_the_screening_forms_feed_everything_the_rules_read(path):
    protocol = load_protocol(path)
    unfed = _needed(protocol) - _fed_at_screening(protocol)
    assert not unfed, f"no screening form item maps to: {', '.join(sorted(unfed))}"


def test_the_field_walk_finds_tables_attestations_and_patient_fields():
    protocol = load_protocol(ROOT / "protocols" / "nct01716481.yaml")
    rule = "age >= 30 and sex == \"male\" and attested x and exists(nihss)"
    assert set(_reads(RuleContext.of(protocol).parse(rule))) == {
        "patient.birth_date", "patient.sex", "attestations.x", "nihss"}


def test_a_crossover_part_gives_every_arm_in_every_period(protocol):
    for part in protocol.design.parts:
        if not part.is_crossover:
            continue
        for index, period in enumerate(part.periods):
            given = {sequence.arms[index] for sequence in part.sequences}
            assert given == set(part.arms), f"{part.id} {period.id}: {sorted(given)}"
        for visit in protocol.schedule.visits:
            if visit.period is not None:
                assert visit.period in {p.id for p in part.periods}, visit.id


def test_the_crossover_trial_has_a_crossover_part():
    protocol = load_protocol(ROOT / "protocols" / "nct01854957.yaml")
    part = protocol.part("main")
    assert part.is_crossover
    assert part.arm_in_period("msc_first", "P2") == "placebo"
    assert part.arm_in_period("placebo_first", "P2") == "msc"
    assert {a.period for a in protocol.design.administrations} == {"P1", "P2"}


def test_the_open_label_trial_gives_the_control_arm_nothing():
    protocol = load_protocol(ROOT / "protocols" / "nct01716481.yaml")
    infusion = protocol.administration("msc_infusion")
    assert infusion.by_arm["standard_care"].procedure == "none"
    assert protocol.design.masking.level == "NONE"
    assert not protocol.gates.committee and not protocol.gates.sequential_enrolment
    assert protocol.role("blinded_assessor").blinded


# Pinned versions (SHA-256 of the canonical form). A failure here means the file's meaning
# changed: if that was intended, it is an amendment — update the pin in the same commit (the
# last was naming the facts their consent items hold, ADR 0022).
PINNED = {
    "nct01854957": "947b9e972f37440bcfb701c647e3ba11964bcb0830c0d2bad92414be1ca5e88b",
    "nct01716481": "6ffba6b540ac91bcfa9d3dfedb003567b2a240c9d6d29657d8f3d09cd6e804bf",
}


@pytest.mark.parametrize("stem", sorted(PINNED))
def test_the_version_of_each_registry_trial_is_pinned(stem):
    protocol = load_protocol(ROOT / "protocols" / f"{stem}.yaml")
    assert protocol_version(protocol) == PINNED[stem]
