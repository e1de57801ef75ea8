"""The committee's data cuts and the two-person study lock over the API (every answer checked
against the published schema)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.functional.conftest import PASSWORD
from tests.integration.capture_support import new_participant
from tests.integration.committee_support import open_report
from trialkit.web.trial import clock
from trialkit.web.trial.models import AuditEvent, Participant, SafetyDecision

pytestmark = pytest.mark.protocols("blinded")


def _committee(trial) -> str:
    return next(r.id for r in trial.protocol.roles if "review_safety" in r.can
                and "arm_summaries" in r.sees and "allocation" not in r.sees)


def _preparer(trial) -> str:
    return next(r.id for r in trial.protocol.roles if "review_safety" in r.can
                and {"allocation", "arm_summaries"} <= set(r.sees) and not r.site_scoped)


def test_a_data_cut_is_prepared_by_its_preparer_and_read_by_the_committee(trial, api,
                                                                         token_for):
    preparer, committee = token_for(_preparer(trial)), token_for(_committee(trial))
    blinded = token_for(trial.screener)
    today = clock.today().isoformat()
    refused = api.post("/api/safety/data-cuts", {"as_of": today}, token=committee)
    assert refused.status_code == 403
    future = (clock.today() + dt.timedelta(days=3)).isoformat()
    assert api.post("/api/safety/data-cuts", {"as_of": future},
                    token=preparer).status_code == 422
    made = api.post("/api/safety/data-cuts", {"as_of": today}, token=preparer)
    assert made.status_code == 201 and made.body["as_of"] == today
    assert [r["label"] for r in made.body["rows"]][:1] == ["Participants randomized"]
    read = api.get("/api/safety/data-cuts", token=committee)
    assert read.status_code == 200 and [c["id"] for c in read.body] == [made.body["id"]]
    assert api.get("/api/safety/data-cuts", token=blinded).status_code == 403
    refusal = AuditEvent.objects.filter(action="read_refused").last()
    assert refusal.new["read"] == "read_arm_summaries"
    assert refusal.new["where"] == "GET /api/safety/data-cuts"


@pytest.mark.protocols("committee_gate")
def test_a_decision_over_the_api_names_the_report_it_is_made_on(trial, api, token_for,
                                                                make_actor):
    gate = trial.protocol.gates.committee[0]
    chair = token_for(gate.signer_role, username="the-chair")
    body = {"decision": gate.decisions[0], "rationale": "Reviewed the report",
            "password": PASSWORD, "gate_index": 0}
    missing = api.post("/api/safety/decisions", body, token=chair)
    assert missing.status_code == 422 and missing.body["field"] == "report_sha256"
    assert not SafetyDecision.objects.exists()
    assert not AuditEvent.objects.filter(action="sign_safety_decision").exists()
    unknown = api.post("/api/safety/decisions", {**body, "report_sha256": "0" * 64},
                       token=chair)
    assert unknown.status_code == 422 and unknown.body["field"] == "report_sha256"
    report = open_report(make_actor, trial.protocol)
    signed = api.post("/api/safety/decisions", {**body, "report_sha256": report}, token=chair)
    assert signed.status_code == 201 and signed.body["report_sha256"] == report
    assert SafetyDecision.objects.get().report_sha256 == report


def test_the_study_lock_takes_two_people_and_the_typed_trial_id(trial, api, token_for):
    new_participant()
    role = trial.data_manager
    first = token_for(role, username="first-locker")
    second = token_for(role, username="second-locker")
    state = api.get("/api/study/lock", token=first)
    assert state.status_code == 200 and "still in the trial" in state.body["blockers"][0]
    refused = api.post("/api/study/lock/request", {"reason": "done", "password": PASSWORD},
                       token=first)
    assert refused.status_code == 409
    Participant.objects.update(status=Participant.Status.WITHDRAWN)  # setup: the trial is over
    asked = api.post("/api/study/lock/request", {"reason": "Last visit done; data clean",
                                                 "password": PASSWORD}, token=first)
    assert asked.status_code == 201 and asked.body["requested_by"] == "first-locker"
    trial_id = trial.protocol.identity.id
    same = api.post("/api/study/lock", {"confirmation": trial_id, "password": PASSWORD},
                    token=first)
    assert same.status_code == 403
    mistyped = api.post("/api/study/lock", {"confirmation": "yes", "password": PASSWORD},
                        token=second)
    assert mistyped.status_code == 422 and mistyped.body["field"] == "confirmation"
    locked = api.post("/api/study/lock", {"confirmation": trial_id, "password": PASSWORD},
                      token=second)
    assert locked.status_code == 200 and locked.body["locked_at"] is not None
