"""The queries inbox filters by status, form and participant, and shows each query's age and
the unresolved ones by age, on every protocol's demo ("queries have no filters, ageing or
assignment")."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.integration.pages.support import client_for, text_of
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.actions.forms import readable
from trialkit.web.trial.actions.queries import do_close_query, do_raise_query
from trialkit.web.trial.models import FormRecord, Query
from trialkit.web.trial.scope import in_scope

pytestmark = pytest.mark.protocols()


def _shown(page: bytes) -> set[int]:
    return {int(pk) for pk in re.findall(rb'href="/queries/(\d+)/"', page)}


def _raise_two_and_close_one(trial) -> None:
    """Queries of the test's own (a small demo may have none): two raised, one closed."""
    data_manager = actor_for(User.objects.get(memberships__role=trial.data_manager,
                                              memberships__active=True), trial.data_manager)
    records = list(readable(data_manager, FormRecord.objects.filter(latest_version__gt=0)
                            ).order_by("pk")[:2])
    raised = [do_raise_query(r, "", f"Please check {r.form_id}", actor=data_manager)
              for r in records]
    do_close_query(raised[0], "Checked", actor=data_manager)


def test_the_inbox_filters_by_status_form_and_participant(trial, module_demo):
    _raise_two_and_close_one(trial)
    client = client_for(module_demo, trial.data_manager)
    url = reverse("pages:queries")
    unresolved = set(Query.objects.exclude(status="closed").values_list("pk", flat=True))
    closed = set(Query.objects.filter(status="closed").values_list("pk", flat=True))
    assert unresolved and closed
    assert _shown(client.get(url).content) == unresolved
    assert _shown(client.get(url, {"status": "closed"}).content) == closed
    assert _shown(client.get(url, {"status": "all"}).content) == unresolved | closed
    some = Query.objects.select_related("record__participant").first()
    by_form = _shown(client.get(url, {"status": "all", "form": some.record.form_id}).content)
    assert by_form == set(Query.objects.filter(record__form_id=some.record.form_id
                                               ).values_list("pk", flat=True))
    number = some.record.participant.screening_number
    assert _shown(client.get(url, {"status": "all", "participant": number}).content) == set(
        Query.objects.filter(record__participant__screening_number__icontains=number
                             ).values_list("pk", flat=True))


def test_the_inbox_counts_unresolved_queries_by_age_and_whose_move_it_is(trial, module_demo):
    _raise_two_and_close_one(trial)
    client = client_for(module_demo, trial.data_manager)
    page = client.get(reverse("pages:queries"))
    ageing = page.context["ageing"]
    now = clock.now()
    open_ages = [(now - q.raised_at).days for q in Query.objects.filter(status="open")]
    answered = Query.objects.filter(status="answered").count()
    assert sum(b.open for b in ageing) == len(open_ages)
    assert sum(b.answered for b in ageing) == answered
    assert ageing[2].open == sum(age > 30 for age in open_ages)
    assert "the site's move" in text_of(page.content)


def test_the_dashboard_says_what_waits_for_each_role(trial, module_demo):
    # Every role saw the same dashboard; the investigator's 66 unsigned forms were nowhere.
    _raise_two_and_close_one(trial)
    for role in trial.protocol.roles:
        page = client_for(module_demo, role.id).get(reverse("pages:dashboard"))
        tasks = {t.label: t.count for t in page.context["tasks"]}
        sign_in = next(s for s in module_demo.sign_ins if s.role == role.id)
        actor = actor_for(User.objects.get(username=sign_in.username), role.id)
        readable_open = in_scope(actor, readable(actor, Query.objects.filter(status="open"),
                                                 "record"), "record__participant").count()
        if "answer_query" in role.can:  # the open queries on forms the role reads
            assert tasks.get("queries await the site's answer", 0) == readable_open, role.id
        else:
            assert "queries await the site's answer" not in tasks
        if "sign" not in role.can:
            assert "forms await a signature" not in tasks
    signer = client_for(module_demo, trial.investigator).get(reverse("pages:dashboard"))
    waiting = {t.label: t.count for t in signer.context["tasks"]}.get(
        "forms await a signature", 0)
    listed = text_of(client_for(module_demo, trial.investigator).get(
        reverse("pages:signatures")).content)
    assert (waiting == 0) == ("no form at your sites awaits" in listed)
