"""Source data verification and query assignment on the pages, on every protocol's demo: the
monitor's worklist by participant and visit with counts, a visit verified in one act, the
verify controls on a form's page, the status per visit on the participant page; the queries
inbox shows whom a query is assigned to and filters "assigned to me" ("Monitors and data
managers are blocked: no source-data verification pages … queries have no filters, ageing or
assignment")."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.integration.pages.support import client_for, text_of
from trialkit.core.forms.verification import verifiable_items
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.actions.forms import do_save_form, may_read, readable
from trialkit.web.trial.actions.queries import assignable, do_raise_query
from trialkit.web.trial.capture_queries import latest_version
from trialkit.web.trial.models import AuditEvent, FormRecord, Query, SourceVerification
from trialkit.web.trial.source_verification import form_verification, verification_worklist

pytestmark = pytest.mark.protocols()


def _actor(demo, role: str):
    sign_in = next(s for s in demo.sign_ins if s.role == role)
    return actor_for(User.objects.get(username=sign_in.username), role)


def test_only_roles_that_verify_source_have_the_worklist_and_its_link(trial, module_demo):
    for role in trial.protocol.roles:
        client = client_for(module_demo, role.id)
        nav = client.get(reverse("pages:dashboard")).content.decode()
        page = client.get(reverse("pages:verification"))
        if "verify_source" in role.can:
            assert 'href="/verification/"' in nav and page.status_code == 200, role.id
        else:
            assert 'href="/verification/"' not in nav and page.status_code == 403, role.id


def test_the_worklist_lists_the_monitors_forms_by_participant_and_visit_with_counts(
        trial, module_demo):
    monitor = _actor(module_demo, trial.monitor)
    awaiting = verification_worklist(monitor)
    assert awaiting, "the demo has saved forms at the monitor's site"
    page = client_for(module_demo, trial.monitor).get(reverse("pages:verification"))
    listed = {int(pk) for pk in re.findall(rb'href="/forms/(\d+)/#verification"', page.content)}
    assert listed == {f.record_id for f in awaiting}
    # Only forms the role reads: never a form kept from a blinded role.
    assert all(may_read(monitor, trial.form(f.form_id)) for f in awaiting)
    text = text_of(page.content)
    assert f"{len(awaiting)} saved form" in text
    groups = page.context["groups"]
    assert sum(g.count for g in groups) == len(awaiting)
    assert [g.screening_number for g in groups] == sorted({g.screening_number for g in groups})


def test_a_visit_is_verified_from_the_worklist_in_one_act(trial, module_demo):
    monitor = _actor(module_demo, trial.monitor)
    first = next(f for f in verification_worklist(monitor) if f.visit_id)
    in_visit = [f for f in verification_worklist(monitor)
                if (f.participant_id, f.visit_id) == (first.participant_id, first.visit_id)]
    client = client_for(module_demo, trial.monitor)
    answer = client.post(reverse("pages:verify_visit", args=[first.participant_id,
                                                             first.visit_id]), follow=True)
    assert f"{sum(f.awaiting for f in in_visit)} item(s) of {len(in_visit)} form(s)" in \
        text_of(answer.content)
    assert AuditEvent.objects.filter(action="verify_source_visit").count() == 1
    left = {(f.participant_id, f.visit_id) for f in verification_worklist(monitor)
            if f.awaiting}
    assert (first.participant_id, first.visit_id) not in left
    participant_page = text_of(client.get(reverse(
        "pages:participant", args=[first.participant_id])).content)
    assert "source data: verified" in participant_page


def _a_record(monitor) -> FormRecord:
    view = next(f for f in verification_worklist(monitor) if f.status == "not_verified"
                and f.total > 1)
    return FormRecord.objects.get(pk=view.record_id)


def test_the_form_page_verifies_an_item_then_the_form(trial, module_demo):
    monitor = _actor(module_demo, trial.monitor)
    record = _a_record(monitor)
    client = client_for(module_demo, trial.monitor)
    url = reverse("pages:form_history", args=[record.pk])
    page = client.get(url)
    assert page.context["may_verify"] and "source data verification" in text_of(page.content)
    item = verifiable_items(trial.form(record.form_id))[0].id
    client.post(reverse("pages:verify_form", args=[record.pk, "item"]), {"item_id": item})
    assert form_verification(record, actor=monitor).status == "partly_verified"
    answer = client.post(reverse("pages:verify_form", args=[record.pk, "form"]), follow=True)
    assert "item(s) verified" in text_of(answer.content)
    assert form_verification(record, actor=monitor).status == "verified"
    shown = text_of(client.get(url).content)
    assert "verification history" in shown and monitor.name in shown


def test_a_new_version_shows_changed_since_verified_on_the_form_page(trial, module_demo):
    monitor = _actor(module_demo, trial.monitor)
    record = _a_record(monitor)
    client = client_for(module_demo, trial.monitor)
    client.post(reverse("pages:verify_form", args=[record.pk, "form"]))
    form = trial.form(record.form_id)
    data = dict(latest_version(record).data)
    text_item = next((i for i in verifiable_items(form) if i.type == "text"), None)
    if text_item is None:
        pytest.skip(f"{trial.stem}: form {form.id} has no text item to change")
    data[text_item.id] = "Corrected after source review"
    enterer = _actor(module_demo, trial.entry_role(form))
    do_save_form(record.participant, form.id, record.visit_id, data, actor=enterer,
                 reason="Corrected", repeat_index=record.repeat_index)
    shown = text_of(client.get(reverse("pages:form_history", args=[record.pk])).content)
    assert "changed since verified" in shown


@pytest.mark.parametrize(("step", "body", "says"), [
    ("discrepancy", {"item_id": "", "note": "differs"}, "item id:"),
    ("discrepancy", {"item_id": "x", "note": ""}, "note:"),
    ("discrepancy", {"item_id": "no-such-item", "note": "differs"}, "item id:"),
    ("nonsense", {}, "step: unknown step"),
    ("item", {"item_id": "no-such-item"}, "item id:")])
def test_a_bad_verification_is_refused_naming_the_field_and_nothing_is_written(
        trial, module_demo, step, body, says):
    monitor = _actor(module_demo, trial.monitor)
    record = _a_record(monitor)
    client = client_for(module_demo, trial.monitor)
    events = AuditEvent.objects.count()
    answer = client.post(reverse("pages:verify_form", args=[record.pk, step]), body,
                         follow=True)
    assert answer.status_code == 200 and says in text_of(answer.content)
    assert not SourceVerification.objects.exists()
    assert AuditEvent.objects.filter(action__in=["verify_source",
                                                 "record_source_discrepancy"]).count() == 0
    assert AuditEvent.objects.count() == events


def test_a_discrepancy_from_the_form_page_raises_a_linked_query(trial, module_demo):
    monitor = _actor(module_demo, trial.monitor)
    record = _a_record(monitor)
    item = verifiable_items(trial.form(record.form_id))[0].id
    client = client_for(module_demo, trial.monitor)
    answer = client.post(reverse("pages:verify_form", args=[record.pk, "discrepancy"]),
                         {"item_id": item, "note": "The source says otherwise"}, follow=True)
    assert "discrepancy recorded and a query raised" in text_of(answer.content)
    query = Query.objects.get(record=record, item_id=item, verifications__isnull=False)
    assert f'href="/queries/{query.pk}/"' in answer.content.decode()


def test_a_role_without_verify_source_gets_no_controls_and_is_refused(trial, module_demo):
    record = _a_record(_actor(module_demo, trial.monitor))
    role = next(r.id for r in trial.protocol.roles if "verify_source" not in r.can
                and may_read(_actor(module_demo, r.id), trial.form(record.form_id)))
    client = client_for(module_demo, role)
    page = client.get(reverse("pages:form_history", args=[record.pk]))
    assert "pages:verify_form" not in page.content.decode()
    assert f"/forms/{record.pk}/verification/" not in page.content.decode()
    assert client.post(reverse("pages:verify_form", args=[record.pk, "form"])
                       ).status_code == 403
    assert not SourceVerification.objects.exists()


# -- query assignment ----------------------------------------------------------------------

def _a_query(trial, demo) -> Query:
    data_manager = _actor(demo, trial.data_manager)
    record = readable(data_manager, FormRecord.objects.filter(
        latest_version__gt=0, participant__site__code=trial.site)).order_by("pk").first()
    return do_raise_query(record, "", "Please check the source", actor=data_manager)


def test_a_query_is_assigned_on_its_page_and_the_inbox_filters_assigned_to_me(
        trial, module_demo):
    query = _a_query(trial, module_demo)
    people = assignable(query.record)
    assert people
    client = client_for(module_demo, trial.data_manager)
    page = client.get(reverse("pages:query", args=[query.pk]))
    assert "assign to" in text_of(page.content)
    manager = _actor(module_demo, trial.data_manager).name
    signing_in = {s.username for s in module_demo.sign_ins}
    person = next(p for p in people if p.username != manager and p.username in signing_in)
    answer = client.post(reverse("pages:query_action", args=[query.pk, "assign"]),
                         {"assignee": person.username}, follow=True)
    assert f"query assigned to {person.username}" in text_of(answer.content)
    assert f"assigned to: {person.username}" in text_of(answer.content)
    event = AuditEvent.objects.get(action="assign_query")
    assert (event.old, event.new["assigned_to"]) == ({"assigned_to": None}, person.username)
    role = next(r for r in person.roles if {"answer_query", "close_query"} & set(
        trial.protocol.role(r).can))
    mine = client_for(module_demo, role)
    inbox = reverse("pages:queries")
    shown = mine.get(inbox, {"assigned": "me", "status": "all"})
    assert _listed(shown.content) == {query.pk}
    assert "you" in text_of(shown.content)
    assert query.pk not in _listed(client.get(inbox, {"assigned": "me"}).content)
    assert query.pk not in _listed(client.get(inbox, {"assigned": "nobody"}).content)
    assert query.pk in _listed(client.get(inbox).content)


def test_assigning_to_someone_who_may_not_be_assigned_is_refused_naming_the_field(
        trial, module_demo):
    query = _a_query(trial, module_demo)
    client = client_for(module_demo, trial.data_manager)
    events = AuditEvent.objects.count()
    answer = client.post(reverse("pages:query_action", args=[query.pk, "assign"]),
                         {"assignee": "nobody-like-this"}, follow=True)
    assert "assignee:" in text_of(answer.content)
    assert AuditEvent.objects.count() == events


def _listed(page: bytes) -> set[int]:
    return {int(pk) for pk in re.findall(rb'href="/queries/(\d+)/"', page)}
