"""EX, EC and PR keep the blind: two participants with the same history in different arms
are told apart by no blinded domain, and an unblinded reader sees what each arm received.

The twins share every form value, dose time and date; only their arm (or crossover sequence)
differs, and so does what the unblinded proceduralist wrote on a form that records a real or
sham procedure (it reaches the rows of an unblinded reader only, but the derivation must not
rely on that).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from trialkit.core.adam.rows import Allocation, FormRow, ParticipantRow
from trialkit.core.adam.synthetic import synthetic_rows
from trialkit.core.exchange import DoseRow, ExchangeRows
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.design import Part
from trialkit.core.protocol.reading import revealing_administrations
from trialkit.core.sdtm import events, exposure, findings, interventions, relapses
from trialkit.core.sdtm.common import Context, Domain
from trialkit.core.sdtm.exposure import ROUTES, arm_content

pytestmark = pytest.mark.protocols()
MODULES = (events, exposure, findings, interventions, relapses)


def _randomized_part(protocol: Protocol) -> Part:
    return next(p for p in protocol.design.parts if len(p.arms) > 1)


def _allocations(protocol: Protocol) -> tuple[Allocation, Allocation]:
    """Two allocations that differ in what they receive (a sham against a real procedure
    where the protocol has one)."""
    part = _randomized_part(protocol)
    if part.is_crossover:
        return Allocation(sequence=part.sequences[0].id), Allocation(
            sequence=part.sequences[1].id)
    differing = [a for a in protocol.design.administrations if a.differs_by_arm]
    arms = list(part.arms)
    if differing:
        arms.sort(key=lambda arm: differing[0].by_arm[arm].procedure != "real")
    return Allocation(arm=arms[0]), Allocation(arm=arms[-1])


def _twins(protocol: Protocol, *, blinded: bool) -> Context:
    source = synthetic_rows(protocol, 1, np.random.default_rng(3))
    part = _randomized_part(protocol)
    revealing = {f.id for f in protocol.forms if revealing_administrations(protocol, f)}
    people, forms, doses = [], [], []
    for key in (1, 2):
        person = source.participants[0]
        people.append(ParticipantRow(key, f"T-{key}", person.site, "enrolled", part.id,
                                     person.consent_date, person.enrolled_on))
        for row in source.forms:
            data = dict(row.data)
            if row.form in revealing:  # what only the unblinded proceduralist writes
                data = {k: f"arm-specific note {key}" if isinstance(v, str) else v
                        for k, v in data.items()}
            forms.append(FormRow(key, row.form, row.visit, row.repeat, data))
        doses += [DoseRow(key, a.administration,
                          dt.datetime.combine(a.given_on, dt.time(9, 30), dt.UTC))
                  for a in source.administrations]
    first, second = _allocations(protocol)
    trial = type(source)(source.study_id, source.as_of, tuple(people), (), tuple(forms),
                         {1: source.period_starts.get(1, {}), 2: source.period_starts.get(1, {})},
                         None if blinded else {1: first, 2: second})
    return Context(protocol, ExchangeRows(trial, doses=tuple(doses)))


def _domains(context: Context) -> dict[str, Domain]:
    return {d.name: d for m in MODULES for build in m.BUILDERS for d in build(context)}


def _of(domain: Domain, context: Context, key: int) -> list[dict]:
    subject = context.usubjid(key)
    return [{k: v for k, v in r.items() if k != "USUBJID"} for r in domain.rows
            if r.get("USUBJID") == subject]


def test_no_blinded_domain_tells_the_twins_apart(trial) -> None:
    context = _twins(trial.protocol, blinded=True)
    domains = _domains(context)
    assert "EX" not in domains and "SUPPEX" not in domains
    assert {"EC"} <= set(domains)
    for name, domain in domains.items():
        assert _of(domain, context, 1) == _of(domain, context, 2), name
    assert _of(domains["EC"], context, 1), "the twins were given the administrations"


def test_exposure_as_collected_is_the_same_for_blinded_and_unblinded_readers(trial) -> None:
    blinded = _domains(_twins(trial.protocol, blinded=True))["EC"]
    unblinded = _domains(_twins(trial.protocol, blinded=False))["EC"]
    assert blinded == unblinded


def test_an_unblinded_reader_sees_what_each_arm_received(trial) -> None:
    context = _twins(trial.protocol, blinded=False)
    ex = _domains(context)["EX"]
    given = {a.id: a for a in trial.protocol.design.administrations}
    expected = []
    for dose in context.rows.doses:
        content = arm_content(context, dose.participant, given[dose.administration])
        assert content is not None, "every twin has an arm at every administration"
        if content.procedure == "real":
            expected.append((context.usubjid(dose.participant), content.preparation,
                             ROUTES.get(given[dose.administration].route, "")))
    assert sorted((r["USUBJID"], r["EXTRT"], r["EXROUTE"]) for r in ex.rows) == \
        sorted(expected)
    assert _of(ex, context, 1) != _of(ex, context, 2)


@pytest.mark.protocols("sham")
def test_a_sham_procedure_is_a_procedure_record_and_no_exposure(trial) -> None:
    context = _twins(trial.protocol, blinded=False)
    domains = _domains(context)
    sham = next(a for a in trial.protocol.design.administrations
                if any(c.procedure == "sham" for c in a.by_arm.values()))
    sham_subject = next(k for k in (1, 2)
                        if arm_content(context, k, sham).procedure == "sham")  # type: ignore[union-attr]
    real_subject = 3 - sham_subject
    linked = sham.id.upper()
    assert not [r for r in _of(domains["EX"], context, sham_subject)
                if r["EXLNKID"] == linked]
    assert [r for r in _of(domains["EX"], context, real_subject) if r["EXLNKID"] == linked]
    sham_records = [r["PRTRT"] for r in _of(domains["PR"], context, sham_subject)]
    real_records = [r["PRTRT"] for r in _of(domains["PR"], context, real_subject)]
    assert sorted(set(sham_records) - set(real_records)) == [f"SHAM {p}" for p in
                                                            sorted(set(real_records) -
                                                                   set(sham_records))]
    assert any(p.startswith("SHAM ") for p in sham_records)
