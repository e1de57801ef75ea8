"""A site, a monitor, an investigator and a data manager run the trial through the API alone, on
every randomized protocol: screening to randomization and dosing, data entry with corrections,
queries, signatures and exports. Every answer is validated against the published schema by the
``api`` fixture; who calls what follows the protocol's roles."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.functional.conftest import PASSWORD
from tests.integration.journey_support import Clock, make_team, open_randomized_part
from trialkit.core.forms.consent_record import ConsentFacts
from trialkit.web.trial.actions.accounts import do_issue_api_token
from trialkit.web.trial.models import AuditEvent, FormVersion

pytestmark = pytest.mark.protocols("randomized")


class Tokens(dict):
    """Role → a bearer token of the team's user in that role, issued when first needed."""

    def __init__(self, team, admin) -> None:
        super().__init__()
        self.team, self.admin = team, admin

    def __missing__(self, role: str) -> str:
        actor = self.team.actor(role)
        self[role] = do_issue_api_token(role, "test", PASSWORD, actor=actor)
        return self[role]


@pytest.fixture
def site(trial, admin, make_actor, monkeypatch):
    """The randomized part open; tokens for the team; the clock a week before the next Day 0."""
    clock = Clock(monkeypatch)
    team = make_team(trial, make_actor)
    day0 = open_randomized_part(team, clock).day0
    clock.set(day0 - dt.timedelta(days=7))
    return clock, day0, Tokens(team, admin)


def _screened(trial, api, tokens, clock, day0, number="API-001") -> int:
    registered = api.post("/api/participants", {"screening_number": number, "site": trial.site},
                          token=tokens[trial.screener])
    assert registered.status_code == 201
    pid = registered.body["id"]
    # Not screened yet: null, not an evaluation with its fields missing.
    assert api.get(f"/api/participants/{pid}/eligibility",
                   token=tokens[trial.screener]).body == {"eligibility": None}
    assert registered.body["verdict"] is None and registered.body["screened_under"] is None
    # Consent first: no study data about the person before it (Guard.CONSENTED).
    consented = api.post(f"/api/participants/{pid}/consent", {
        "consent_date": clock.today.isoformat(), "form_version": "ICF 2.0",
        "taken_by": "Dr Lin"}, token=tokens[trial.screener])  # as ``consent`` below
    assert consented.body["status"] == "consented"
    visit = trial.screening_visit.id
    consent = ConsentFacts(clock.today, "ICF 2.0", "Dr Lin")
    for form_id, instances in trial.screening_forms(clock.today, consent=consent).items():
        for data in instances:
            saved = api.post(f"/api/participants/{pid}/forms",
                             {"form_id": form_id, "visit_id": visit, "data": data},
                             token=tokens[trial.entry_role(form_id)])
            assert saved.status_code == 201, saved.body
    evaluated = api.post(f"/api/participants/{pid}/eligibility",
                         {"index_date": day0.isoformat()}, token=tokens[trial.screener])
    undecided = evaluated.body["eligibility"]["undecided"]
    stored = api.get(f"/api/participants/{pid}/eligibility", token=tokens[trial.screener])
    assert stored.body == evaluated.body  # the stored record, as the action returned it
    kinds = {c["id"]: c["kind"] for c in evaluated.body["eligibility"]["result"]["criteria"]}
    if undecided:
        judged = api.post(f"/api/participants/{pid}/judgements", {
            "judgements": {c: "met" if kinds[c] == "inclusion" else "not_met" for c in undecided},
            "rationale": "History reviewed with the patient", "password": PASSWORD},
            token=tokens[trial.investigator])
        assert judged.body["eligibility"]["verdict"] == "eligible"
    return pid


def test_a_participant_is_screened_randomized_and_dosed_through_the_api(trial, api, site):
    clock, day0, tokens = site
    pid = _screened(trial, api, tokens, clock, day0)
    coordinator = tokens[trial.screener]
    first = api.post(f"/api/participants/{pid}/randomization", token=coordinator)
    again = api.post(f"/api/participants/{pid}/randomization", token=coordinator)
    assert first.body["new"] and not again.body["new"]
    assert again.body["kit_code"] == first.body["kit_code"]
    detail = api.get(f"/api/participants/{pid}", token=coordinator).body
    assert (detail["status"], detail["part"], detail["randomization_number"]) == (
        "enrolled", trial.randomized_part.id, first.body["randomization_number"])
    allocation = api.get(f"/api/participants/{pid}/allocation", token=coordinator)
    if "allocation" in trial.protocol.role(trial.screener).sees:
        assert allocation.status_code == 200
    else:
        assert allocation.status_code == 403 and "blinded" in allocation.body["detail"]
    day_zero = trial.administrations()[0]
    given = clock.set(day0, hour=10)
    dose = api.post(f"/api/participants/{pid}/administrations", {
        "administration_id": day_zero.id, "given_at": given.isoformat(),
        "kit_code": first.body["kit_code"]}, token=tokens[day_zero.performed_by])
    assert dose.status_code == 201
    visits = {v["visit_id"]: v for v in api.get(f"/api/participants/{pid}/visits",
                                                token=coordinator).body}
    assert visits[day_zero.visit]["done_on"] == day0.isoformat()

    # A mistyped time is corrected with its reason, on the dose's own day.
    clock.set(day0, hour=15)
    url = f"/api/participants/{pid}/administrations/{day_zero.id}/correction"
    earlier = given - dt.timedelta(minutes=40)
    corrected = api.post(url, {"given_at": earlier.isoformat(), "reason": "pump log says 09:20"},
                         token=tokens[day_zero.performed_by])
    assert corrected.status_code == 200, corrected.body
    assert dt.datetime.fromisoformat(corrected.body["given_at"]) == earlier
    moved = api.post(url, {"given_at": (earlier - dt.timedelta(days=1)).isoformat(),
                           "reason": "wrong day"}, token=tokens[day_zero.performed_by])
    assert (moved.status_code, moved.body["field"]) == (409, "given_at")
    no_reason = api.post(url, {"given_at": given.isoformat()},
                         token=tokens[day_zero.performed_by])
    assert (no_reason.status_code, no_reason.body["field"]) == (422, "reason")


def test_a_wrong_kit_or_an_unknown_administration_is_refused_and_nothing_is_recorded(
        trial, api, site):
    clock, day0, tokens = site
    pid = _screened(trial, api, tokens, clock, day0)
    api.post(f"/api/participants/{pid}/randomization", token=tokens[trial.screener])
    day_zero = trial.administrations()[0]
    performer = tokens[day_zero.performed_by]
    events = AuditEvent.objects.count()
    given = clock.set(day0, hour=10).isoformat()
    wrong_kit = api.post(f"/api/participants/{pid}/administrations", {
        "administration_id": day_zero.id, "given_at": given, "kit_code": "NOT-THE-KIT"},
        token=performer)
    unknown = api.post(f"/api/participants/{pid}/administrations", {
        "administration_id": "no_such_administration", "given_at": given}, token=performer)
    not_a_date = api.post(f"/api/participants/{pid}/administrations", {
        "administration_id": day_zero.id, "given_at": "yesterday"}, token=performer)
    assert (wrong_kit.status_code, wrong_kit.body["field"]) == (422, "kit_code")
    assert unknown.status_code == 422 and unknown.body["field"] == "administration_id"
    assert (not_a_date.status_code, not_a_date.body["field"]) == (422, "given_at")
    assert AuditEvent.objects.count() == events
    assert api.get(f"/api/participants/{pid}/administrations",
                   token=tokens[trial.screener]).body == []


def _demographics(trial):
    form = trial.forms_of_kind("demographics")[0]
    birth = next(i for i in form.items if i.maps_to is not None
                 and i.maps_to.to == "patient.birth_date")
    return form, birth


def test_corrections_queries_signatures_and_exports_work_through_the_api(trial, api, site,
                                                                         token_for):
    clock, day0, tokens = site
    pid = _screened(trial, api, tokens, clock, day0)
    coordinator = tokens[trial.screener]
    form, birth = _demographics(trial)
    dm = next(r for r in api.get(f"/api/participants/{pid}/forms?form_id={form.id}",
                                 token=coordinator).body)
    monitor = token_for(trial.monitor, username="mona")
    raised = api.post(f"/api/forms/{dm['id']}/queries",
                      {"item_id": birth.id, "text": "Confirm against the ID card"},
                      token=monitor)
    assert raised.status_code == 201 and raised.body["status"] == "open"
    data = {**trial.screening_forms(clock.today)[form.id][0], birth.id: "1984-05-21"}
    enterer = tokens[trial.entry_role(form)]
    no_reason = api.post(f"/api/participants/{pid}/forms",
                         {"form_id": form.id, "visit_id": trial.screening_visit.id,
                          "data": data}, token=enterer)
    assert (no_reason.status_code, no_reason.body["field"]) == (422, "reason")
    assert FormVersion.objects.filter(record_id=dm["id"]).count() == 1
    corrected = api.post(f"/api/participants/{pid}/forms", {
        "form_id": form.id, "visit_id": trial.screening_visit.id, "data": data,
        "reason": "typo in the day"}, token=enterer)
    assert corrected.body["version"]["number"] == 2
    trail = api.get(f"/api/forms/{dm['id']}/audit-trail", token=monitor).body
    assert [c["new"] for c in trail[birth.id]][-1] == "1984-05-21"
    qid = raised.body["id"]
    assert api.post(f"/api/queries/{qid}/answer", {"text": "Corrected from the ID card"},
                    token=coordinator).body["status"] == "answered"
    assert api.post(f"/api/queries/{qid}/close", {}, token=monitor).body["status"] == "closed"
    signed = api.post(f"/api/forms/{dm['id']}/signatures",
                      {"password": PASSWORD, "meaning": "I confirm these data"},
                      token=tokens[trial.investigator])
    assert signed.status_code == 201 and signed.body["version"] == 2
    exporter = token_for(trial.data_manager)
    listing = api.get("/api/exports/participants.csv", token=exporter)
    rows = list(csv.DictReader(io.StringIO(listing.content.decode())))
    assert [r["screening_number"] for r in rows if r["id"] == str(pid)] == ["API-001"]
    exported = api.get(f"/api/exports/forms/{form.id}.json", token=exporter).body
    mine = [r for r in exported if r["participant_id"] == pid]
    assert [(r["version"], r["data"][birth.id]) for r in mine] == [(2, "1984-05-21")]
    assert api.get("/api/exports/forms/NO_SUCH_FORM.json", token=exporter).status_code == 422
    assert api.get("/api/exports/participants.json", token=coordinator).status_code == 403


def test_the_preparing_role_confirms_a_kit_through_the_api_and_a_blinded_role_may_not(
        trial, api, site, token_for):
    clock, day0, tokens = site
    pid = _screened(trial, api, tokens, clock, day0)
    coordinator = tokens[trial.screener]
    detail = api.get(f"/api/participants/{pid}", token=coordinator).body
    assert detail["screened_under"]["current"] and detail["screened_under"]["amendment"] == 0
    kit = api.post(f"/api/participants/{pid}/randomization", token=coordinator).body["kit_code"]
    administration = trial.administrations()[0]
    preparer = token_for(administration.prepared_by, username="preparer")
    body = {"administration_id": administration.id}
    refused = api.post(f"/api/kits/{kit}/preparation", body, token=coordinator)
    assert refused.status_code == 403
    confirmed = api.post(f"/api/kits/{kit}/preparation", body, token=preparer)
    assert confirmed.status_code == 201 and confirmed.body["kit_code"] == kit
    again = api.post(f"/api/kits/{kit}/preparation", body, token=preparer)
    assert again.status_code == 409 and again.body["field"] == "administration_id"
    listing = api.get("/api/exports/participants.csv", token=token_for(trial.data_manager))
    rows = list(csv.DictReader(io.StringIO(listing.content.decode())))
    mine = next(r for r in rows if r["id"] == str(pid))
    assert mine["screened_under_amendment"] == "0" and mine["screened_under_current"] == "True"
