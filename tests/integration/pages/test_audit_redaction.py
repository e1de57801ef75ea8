"""The audit page and the audit API mask the same things with the same function, on every
protocol with emergency unblinding: blinded keys in old/new, the reason of an emergency
unblinding (kept out of notifications because it may hint at the arm), a committee decision's
rationale; and the decisions endpoint keeps the rationale from roles that see no arm."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from tests.integration.pages.support import client_for, text_of
from trialkit.web.api.redaction import MASK, redactor_for
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.actions.oversight import do_unblind_participant
from trialkit.web.trial.models import AuditEvent, RandomizationSlot, SafetyDecision

pytestmark = pytest.mark.protocols("emergency_unblinding")

REASON = "Anaphylaxis forty minutes after the infusion; the treating team must know the product"


def _actor(module_demo, role: str):
    sign_in = next(s for s in module_demo.sign_ins if s.role == role)
    return actor_for(User.objects.get(username=sign_in.username), role)


@pytest.fixture
def unblinded(trial, module_demo):
    """An emergency unblinding by the demo's unblinding role, of a participant at its site."""
    unblinder = next(r.id for r in trial.protocol.roles if "emergency_unblind" in r.can)
    sign_in = next(s for s in module_demo.sign_ins if s.role == unblinder)
    actor = _actor(module_demo, unblinder)
    slots = RandomizationSlot.objects.filter(participant__isnull=False)
    if actor.site_ids is not None:
        slots = slots.filter(participant__site_id__in=actor.site_ids)
    participant = slots.select_related("participant").first().participant
    do_unblind_participant(participant, REASON, sign_in.password, actor=actor)
    return AuditEvent.objects.get(action="unblind_participant")


def _auditor(trial) -> str:
    """A role that views the audit trail and sees no allocation (a data manager)."""
    return next(r.id for r in trial.protocol.roles
                if "view_audit" in r.can and "allocation" not in r.sees)


def test_the_audit_page_masks_an_unblinding_reason_as_the_api_does(trial, module_demo,
                                                                    unblinded):
    client = client_for(module_demo, _auditor(trial))
    page = text_of(client.get("/audit/?action=unblind_participant").content)
    assert "unblinded a participant (emergency)" in page  # the action in words
    assert REASON.lower() not in page and MASK in page
    [event] = client.get("/api/audit/events?action=unblind_participant").json()
    assert event["reason"] == MASK and event["new"]["participant"] == (
        unblinded.new["participant"])
    stored = AuditEvent.objects.get(pk=unblinded.pk)
    assert stored.reason == REASON, "the stored event is untouched"


def test_one_redaction_serves_both_and_lets_an_unblinded_reader_see_the_reason(
        trial, module_demo, unblinded):
    protocol = trial.protocol
    seer = next(r.id for r in protocol.roles if "allocation" in r.sees
                and r.id in {s.role for s in module_demo.sign_ins})
    assert redactor_for(_actor(module_demo, seer)).event(unblinded).reason == REASON
    blinded = redactor_for(_actor(module_demo, _auditor(trial))).event(unblinded)
    assert blinded.reason == MASK and blinded.new == unblinded.new


@pytest.mark.protocols("emergency_unblinding", "committee_gate")
def test_a_decision_rationale_is_kept_from_roles_that_see_no_arm(trial, module_demo):
    decision = SafetyDecision.objects.first()
    assert decision is not None, "a committee gate's demo signs a decision"
    blinded = next(r.id for r in trial.protocol.roles if not r.sees
                   and r.id in {s.role for s in module_demo.sign_ins})
    [shown] = [d for d in client_for(module_demo, blinded).get("/api/safety/decisions").json()
               if d["decision"] == decision.decision][:1]
    assert shown["rationale"] == MASK
    committee = next(r.id for r in trial.protocol.roles if "arm_summaries" in r.sees
                     and "review_safety" in r.can)
    answers = client_for(module_demo, committee).get("/api/safety/decisions").json()
    assert decision.rationale in {d["rationale"] for d in answers}
    audit_page = text_of(client_for(module_demo, _auditor(trial)).get(
        "/audit/?action=sign_safety_decision").content)
    assert decision.rationale.lower() not in audit_page
