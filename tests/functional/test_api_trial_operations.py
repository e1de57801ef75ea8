"""A site, a monitor, an investigator and a data manager run the trial through the API alone:
screening to randomization and dosing, data entry with corrections, queries, signatures and
exports. Every answer is validated against the published schema by the ``api`` fixture."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.functional.conftest import PASSWORD
from tests.integration.journey_support import (
    Clock,
    last_it_day,
    make_team,
    open_phase2a,
    screening_forms,
)
from trialkit.web.trial.actions.accounts import do_issue_api_token
from trialkit.web.trial.models import AuditEvent, FormVersion


@pytest.fixture
def site(admin, make_actor, monkeypatch):
    """Phase IIa open; tokens for the team; the clock a week before the next Day 0."""
    clock = Clock(monkeypatch)
    team = make_team(make_actor)
    day0 = last_it_day(open_phase2a(team, clock)) + dt.timedelta(days=35)
    tokens = {name: do_issue_api_token(actor.user, actor.role, "test", actor=admin)
              for name, actor in (("coordinator", team.coordinator),
                                  ("investigator", team.investigator))}
    clock.set(day0 - dt.timedelta(days=7))
    return clock, day0, tokens


def _screened(api, tokens, clock, day0, number="API-001") -> int:
    registered = api.post("/api/participants", {"screening_number": number, "site": "CMUH"},
                          token=tokens["coordinator"])
    assert registered.status_code == 201
    pid = registered.body["id"]
    for form_id, data in screening_forms(clock.today).items():
        saved = api.post(f"/api/participants/{pid}/forms",
                         {"form_id": form_id, "visit_id": "SCR", "data": data},
                         token=tokens["coordinator"])
        assert saved.status_code == 201, saved.body
    evaluated = api.post(f"/api/participants/{pid}/eligibility",
                         {"index_date": day0.isoformat()}, token=tokens["coordinator"])
    undecided = evaluated.body["eligibility"]["undecided"]
    kinds = {c["id"]: c["kind"] for c in evaluated.body["eligibility"]["result"]["criteria"]}
    judged = api.post(f"/api/participants/{pid}/judgements", {
        "judgements": {c: "met" if kinds[c] == "inclusion" else "not_met" for c in undecided},
        "rationale": "History reviewed with the patient", "password": PASSWORD},
        token=tokens["investigator"])
    assert judged.body["eligibility"]["verdict"] == "eligible"
    consented = api.post(f"/api/participants/{pid}/consent", {
        "consent_date": clock.today.isoformat(), "form_version": "ICF 2.0",
        "taken_by": "Dr Lin"}, token=tokens["coordinator"])
    assert consented.body["status"] == "consented"
    return pid


def test_a_participant_is_screened_randomized_and_dosed_through_the_api(api, site):
    clock, day0, tokens = site
    pid = _screened(api, tokens, clock, day0)
    first = api.post(f"/api/participants/{pid}/randomization", token=tokens["coordinator"])
    again = api.post(f"/api/participants/{pid}/randomization", token=tokens["coordinator"])
    assert first.body["new"] and not again.body["new"]
    assert again.body["kit_code"] == first.body["kit_code"]
    detail = api.get(f"/api/participants/{pid}", token=tokens["coordinator"]).body
    assert (detail["status"], detail["part"], detail["randomization_number"]) == (
        "enrolled", "phase2a", first.body["randomization_number"])
    refused = api.get(f"/api/participants/{pid}/allocation", token=tokens["coordinator"])
    assert refused.status_code == 403 and "blinded" in refused.body["detail"]
    given = clock.set(day0, hour=10)
    dose = api.post(f"/api/participants/{pid}/administrations", {
        "administration_id": "iv", "given_at": given.isoformat(),
        "kit_code": first.body["kit_code"]}, token=tokens["investigator"])
    assert dose.status_code == 201
    visits = {v["visit_id"]: v for v in api.get(f"/api/participants/{pid}/visits",
                                                token=tokens["coordinator"]).body}
    assert visits["D0"]["done_on"] == day0.isoformat()


def test_a_wrong_kit_or_an_unknown_administration_is_refused_and_nothing_is_recorded(api, site):
    clock, day0, tokens = site
    pid = _screened(api, tokens, clock, day0)
    api.post(f"/api/participants/{pid}/randomization", token=tokens["coordinator"])
    events = AuditEvent.objects.count()
    given = clock.set(day0, hour=10).isoformat()
    wrong_kit = api.post(f"/api/participants/{pid}/administrations", {
        "administration_id": "iv", "given_at": given, "kit_code": "UMSC-0000-0000-0"},
        token=tokens["investigator"])
    unknown = api.post(f"/api/participants/{pid}/administrations", {
        "administration_id": "oral", "given_at": given}, token=tokens["investigator"])
    not_a_date = api.post(f"/api/participants/{pid}/administrations", {
        "administration_id": "iv", "given_at": "yesterday"}, token=tokens["investigator"])
    assert (wrong_kit.status_code, wrong_kit.body["field"]) == (422, "kit_code")
    assert unknown.status_code == 422 and unknown.body["field"] == "administration_id"
    assert (not_a_date.status_code, not_a_date.body["field"]) == (422, "given_at")
    assert AuditEvent.objects.count() == events
    assert api.get(f"/api/participants/{pid}/administrations",
                   token=tokens["coordinator"]).body == []


def test_corrections_queries_signatures_and_exports_work_through_the_api(api, site,
                                                                         token_for):
    clock, day0, tokens = site
    pid = _screened(api, tokens, clock, day0)
    dm = next(r for r in api.get(f"/api/participants/{pid}/forms?form_id=DM",
                                 token=tokens["coordinator"]).body)
    monitor = token_for("monitor", username="mona")
    raised = api.post(f"/api/forms/{dm['id']}/queries",
                      {"item_id": "birth_date", "text": "Confirm against the ID card"},
                      token=monitor)
    assert raised.status_code == 201 and raised.body["status"] == "open"
    data = {**screening_forms(clock.today)["DM"], "birth_date": "1984-05-21"}
    no_reason = api.post(f"/api/participants/{pid}/forms",
                         {"form_id": "DM", "visit_id": "SCR", "data": data},
                         token=tokens["coordinator"])
    assert (no_reason.status_code, no_reason.body["field"]) == (422, "reason")
    assert FormVersion.objects.filter(record_id=dm["id"]).count() == 1
    corrected = api.post(f"/api/participants/{pid}/forms", {
        "form_id": "DM", "visit_id": "SCR", "data": data, "reason": "typo in the day"},
        token=tokens["coordinator"])
    assert corrected.body["version"]["number"] == 2
    trail = api.get(f"/api/forms/{dm['id']}/audit-trail", token=monitor).body
    assert [c["new"] for c in trail["birth_date"]][-1] == "1984-05-21"
    qid = raised.body["id"]
    assert api.post(f"/api/queries/{qid}/answer", {"text": "Corrected from the ID card"},
                    token=tokens["coordinator"]).body["status"] == "answered"
    assert api.post(f"/api/queries/{qid}/close", {}, token=monitor).body["status"] == "closed"
    signed = api.post(f"/api/forms/{dm['id']}/signatures",
                      {"password": PASSWORD, "meaning": "I confirm these data"},
                      token=tokens["investigator"])
    assert signed.status_code == 201 and signed.body["version"] == 2
    exporter = token_for("data_manager", site=None)
    listing = api.get("/api/exports/participants.csv", token=exporter)
    rows = list(csv.DictReader(io.StringIO(listing.content.decode())))
    assert [r["screening_number"] for r in rows if r["id"] == str(pid)] == ["API-001"]
    exported = api.get("/api/exports/forms/DM.json", token=exporter).body
    mine = [r for r in exported if r["participant_id"] == pid]
    assert [(r["version"], r["data"]["birth_date"]) for r in mine] == [(2, "1984-05-21")]
    assert api.get("/api/exports/forms/XX.json", token=exporter).status_code == 422
    assert api.get("/api/exports/participants.json", token=tokens["coordinator"]
                   ).status_code == 403


def test_the_preparing_role_confirms_a_kit_through_the_api_and_a_blinded_role_may_not(
        api, site, token_for, reference_protocol):
    clock, day0, tokens = site
    pid = _screened(api, tokens, clock, day0)
    detail = api.get(f"/api/participants/{pid}", token=tokens["coordinator"]).body
    assert detail["screened_under"]["current"] and detail["screened_under"]["amendment"] == 0
    kit = api.post(f"/api/participants/{pid}/randomization",
                   token=tokens["coordinator"]).body["kit_code"]
    administration = reference_protocol.design.administrations[0]
    preparer = token_for(administration.prepared_by)
    body = {"administration_id": administration.id}
    refused = api.post(f"/api/kits/{kit}/preparation", body, token=tokens["coordinator"])
    assert refused.status_code == 403
    confirmed = api.post(f"/api/kits/{kit}/preparation", body, token=preparer)
    assert confirmed.status_code == 201 and confirmed.body["kit_code"] == kit
    again = api.post(f"/api/kits/{kit}/preparation", body, token=preparer)
    assert again.status_code == 409 and again.body["field"] == "administration_id"
    listing = api.get("/api/exports/participants.csv", token=token_for("data_manager", site=None))
    rows = list(csv.DictReader(io.StringIO(listing.content.decode())))
    mine = next(r for r in rows if r["id"] == str(pid))
    assert mine["screened_under_amendment"] == "0" and mine["screened_under_current"] == "True"
