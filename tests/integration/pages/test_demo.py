"""`trialkit web demo --protocol FILE` builds any protocol's trial mid-way through the actions:
its parts opened as its gates allow, randomized where it randomizes (to sequences in a
crossover part), doses by the roles that give them, visits with their forms, adverse events
(one serious, its clock running), queries, signatures, a screen failure and candidates in
screening. `make run` serves the reference trial's demo at its full size."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.conftest import REFERENCE_PROTOCOL
from tests.integration.pages.support import demo_trial, signed_in
from trialkit.web.demo_story import load_story
from trialkit.web.trial.audit import verify_chain
from trialkit.web.trial.models import (
    Administration,
    AuditEvent,
    Deviation,
    FormRecord,
    Participant,
    Query,
    RandomizationList,
    SafetyDecision,
    SeriousEventClock,
    Signature,
)

pytestmark = pytest.mark.protocols()


def test_the_demo_is_the_trial_mid_way_built_by_actions_only(trial, module_demo):
    protocol = trial.protocol
    # One sign-in per role, and two administrators (a second approves unblinded grants).
    administering = [r.id for r in protocol.roles if "manage_users" in r.can]
    assert sorted(s.role for s in module_demo.sign_ins) == sorted(
        [r.id for r in protocol.roles] + administering)
    for part in protocol.design.parts:
        joined = Participant.objects.filter(part=part.id)
        assert joined.exists(), part.id
        assert all(p.administrations.exists() for p in joined), part.id
    for gate in protocol.gates.committee:
        assert Participant.objects.filter(part=gate.reviews_part).count() == \
            protocol.part(gate.reviews_part).enrolment_target
        assert SafetyDecision.objects.get().decision in gate.opening_decisions
    if protocol.randomization is not None:
        assert RandomizationList.objects.get().live_at is not None
        randomized = Participant.objects.filter(part=protocol.randomization.part)
        assert randomized.count() == AuditEvent.objects.filter(
            action="randomize_participant").count() > 0
        assert all(p.slot is not None for p in randomized)
        part = protocol.part(protocol.randomization.part)
        if part.is_crossover:  # some have crossed over: the switch visit moved them on
            assert randomized.filter(period=part.periods[-1].id).exists()
    assert set(Administration.objects.values_list("administration_id", flat=True)) == {
        a.id for a in protocol.design.administrations}
    assert Participant.objects.filter(status="screen_failed").count() == 1
    # Consent comes first (no study data before it): the candidate awaiting a part and the one
    # still in screening have both consented, and nobody has data without consent on file.
    assert Participant.objects.filter(status="consented").count() == 2
    assert not Participant.objects.filter(status="screening").exists()
    assert not Participant.objects.filter(consent_date__isnull=True,
                                          forms__isnull=False).exists()
    running = SeriousEventClock.objects.filter(reported_at__isnull=True).last()
    assert running is not None and running.deadline > timezone.now()
    assert Query.objects.exists() and Signature.objects.exists()
    forms = set(FormRecord.objects.values_list("form_id", flat=True))
    assert trial.adverse_event_form.id in forms
    assert {f for f in trial.screening_visit.forms if not trial.form(f).repeating} <= forms
    assert verify_chain() == []


def test_every_printed_demo_sign_in_works_on_the_sign_in_page(module_demo):
    for sign_in in module_demo.sign_ins:
        client = signed_in(sign_in.username, sign_in.password)
        assert client.get("/").status_code == 200, sign_in.role


@pytest.mark.slow
def test_make_runs_demo_is_the_reference_trial_with_its_whole_story(db, reference_protocol):
    demo_trial(REFERENCE_PROTOCOL, limit=None)
    story = load_story(REFERENCE_PROTOCOL)
    phase1, phase2a = (p.id for p in reference_protocol.design.parts)
    assert Participant.objects.filter(part=phase1).count() == 6
    assert all(p.administrations.count() == len(reference_protocol.design.administrations)
               for p in Participant.objects.filter(part=phase1))
    randomized = Participant.objects.filter(part=phase2a, slot__isnull=False)
    assert randomized.count() == sum(p.part == phase2a for p in story.people) == 12
    assert Participant.objects.filter(status="completed").exists()
    assert SeriousEventClock.objects.filter(reported_at__isnull=False).exists()
    assert SeriousEventClock.objects.filter(reported_at__isnull=True).count() == 1
    logs = {f.id for f in reference_protocol.forms if f.kind == "event_log"}
    assert FormRecord.objects.filter(form_id__in=logs, visit_id="").count() == 1
    assert Query.objects.filter(status="open", automatic=True).exists()
    assert Query.objects.filter(status="open", automatic=False).exists()
    assert Query.objects.filter(status="closed").exists()
    assert Deviation.objects.filter(kind="visit_out_of_window").exists()
    assert verify_chain() == []
