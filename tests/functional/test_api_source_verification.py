"""Source data verification and query assignment through the API, on every protocol, every
answer validated against the published schema: a monitor reads where a form stands, verifies
an item, the form and a visit, records a discrepancy; a data manager assigns a query and lists
the queries assigned to a person."""

from __future__ import annotations

import pytest

from tests.integration.capture_support import measured, new_participant
from trialkit.web.trial.actions.forms import do_save_form
from trialkit.web.trial.models import AuditEvent

pytestmark = pytest.mark.protocols()


@pytest.fixture
def saved(trial, study, make_actor):
    target = measured(trial)
    participant = new_participant()
    version = do_save_form(participant, target.form.id, target.visit, target.values(trial),
                           actor=make_actor(trial.entry_role(target.form)))
    return target, version.record


def test_a_monitor_verifies_through_the_api(trial, api, saved, token_for):
    target, record = saved
    monitor = token_for(trial.monitor, username="mona")
    url = f"/api/forms/{record.pk}/verification"
    before = api.get(url, token=monitor).body
    assert before["status"] == "not_verified" and before["verified"] == 0
    assert record.pk in {f["record_id"] for f in api.get("/api/verification",
                                                          token=monitor).body}
    one = api.post(url, {"item_id": target.item.id}, token=monitor)
    assert one.status_code == 201
    assert {i["item_id"]: i["status"] for i in one.body["items"]}[target.item.id] == "verified"
    refused = api.post(url, {"item_id": "no-such-item"}, token=monitor)
    assert (refused.status_code, refused.body["field"]) == (422, "item_id")
    odd = api.post(f"{url}/discrepancies", {"item_id": target.item.id, "note": ""},
                   token=monitor)
    assert (odd.status_code, odd.body["field"]) == (422, "note")
    found = api.post(f"{url}/discrepancies", {"item_id": target.item.id,
                                              "note": "The source says otherwise"},
                     token=monitor)
    assert found.status_code == 201 and found.body["status"] == "discrepancy"
    visit = api.post(f"/api/participants/{record.participant_id}/visits/{target.visit}"
                     "/verification", token=monitor)
    assert visit.status_code == 201
    assert [f["record_id"] for f in visit.body] == [record.pk]
    assert AuditEvent.objects.filter(action="verify_source_visit").count() == 1


def test_the_api_refuses_verification_to_a_role_without_verify_source(trial, api, saved,
                                                                      token_for):
    _, record = saved
    other = token_for(trial.data_manager)
    assert api.get("/api/verification", token=other).status_code == 403
    assert api.post(f"/api/forms/{record.pk}/verification", {}, token=other
                    ).status_code == 403


def test_a_query_is_assigned_and_listed_by_assignee_through_the_api(trial, api, saved,
                                                                   token_for):
    target, record = saved
    manager = token_for(trial.data_manager)
    raised = api.post(f"/api/forms/{record.pk}/queries",
                      {"item_id": target.item.id, "text": "Please check"}, token=manager)
    qid = raised.body["id"]
    assert raised.body["assigned_to"] == ""
    answering = next(r.id for r in trial.protocol.roles
                     if "answer_query" in r.can and r.site_scoped)
    token_for(answering, username="site-person")
    assigned = api.post(f"/api/queries/{qid}/assign", {"assignee": "site-person"},
                        token=manager)
    assert assigned.status_code == 200 and assigned.body["assigned_to"] == "site-person"
    listed = api.get("/api/queries?assigned_to=site-person", token=manager).body
    assert [q["id"] for q in listed] == [qid]
    assert api.get("/api/queries?assigned_to=", token=manager).body == []
    wrong = api.post(f"/api/queries/{qid}/assign", {"assignee": "nobody-here"}, token=manager)
    assert (wrong.status_code, wrong.body["field"]) == (422, "assignee")
