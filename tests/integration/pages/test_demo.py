"""`make run` builds the demo trial through the actions; it is mid-trial as the issue asks."""

from __future__ import annotations

from django.utils import timezone

from tests.integration.pages.support import demo_trial, signed_in
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
from trialkit.web.trial.study import current_study, protocol_of


def test_the_demo_is_the_reference_trial_mid_way_built_by_actions_only():
    demo = demo_trial()
    protocol = protocol_of(current_study())
    assert sorted(s.role for s in demo.sign_ins) == sorted(r.id for r in protocol.roles)
    phase1 = Participant.objects.filter(part="phase1")
    assert phase1.count() == 6
    assert all(set(p.administrations.values_list("administration_id", flat=True)) == {"iv", "it"}
               for p in phase1)
    assert SafetyDecision.objects.get().decision == "proceed"
    assert RandomizationList.objects.get().live_at is not None
    randomized = Participant.objects.filter(part="phase2a", slot__isnull=False)
    assert randomized.count() == 12
    assert Administration.objects.filter(participant__in=randomized,
                                         administration_id="iv").count() == 12
    assert Participant.objects.filter(status="screen_failed").count() == 1
    assert Participant.objects.filter(status="consented").count() == 1
    assert Participant.objects.filter(status="completed").exists()
    running = SeriousEventClock.objects.filter(reported_at__isnull=True).get()
    assert running.deadline > timezone.now()
    assert SeriousEventClock.objects.filter(reported_at__isnull=False).exists()
    assert FormRecord.objects.filter(form_id="RELAPSE").count() == 1
    assert Query.objects.filter(status="open", automatic=True).exists()
    assert Query.objects.filter(status="open", automatic=False).exists()
    assert Query.objects.filter(status="closed").exists()
    assert Deviation.objects.filter(kind="visit_out_of_window").exists()
    assert Signature.objects.exists()
    # Every row came with its audited action, and the chain is whole.
    assert AuditEvent.objects.filter(action="randomize_participant").count() == 12
    assert verify_chain() == []


def test_every_printed_demo_sign_in_works_on_the_sign_in_page():
    demo = demo_trial()
    for sign_in in demo.sign_ins:
        client = signed_in(sign_in.username, sign_in.password)
        assert client.get("/").status_code == 200, sign_in.role
