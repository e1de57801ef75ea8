"""The "My tasks" page (/tasks/), on every protocol: in a trial of its own where the test makes
each item, each kind lists exactly those items for the person, at their sites, on forms their
role reads; the dashboard counts the same lists; the page costs a fixed number of queries; a
role with no kind of task has neither the link nor the page (docs/my-tasks.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.integration.capture_support import new_participant, signed_form
from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import signed_in
from tests.integration.pages.test_query_counts import _add_participants, _queries
from trialkit.web.pages.my_tasks import my_tasks
from trialkit.web.trial import clock
from trialkit.web.trial.actions.forms import may_enter, may_read
from trialkit.web.trial.models import (
    FormRecord,
    FormVersion,
    Participant,
    Query,
    SafetyDecision,
    ScheduledVisit,
    SeriousEventClock,
    SmcReport,
    Study,
)
from trialkit.web.trial.scope import is_study_wide
from trialkit.web.trial.source_verification import verification_worklist

pytestmark = pytest.mark.protocols()

TASK_PERMISSIONS = {"enter_data", "sign", "answer_query", "verify_source", "close_query",
                    "raise_query", "lock_data", "review_safety", "report_adverse_event"}
"""The spec: a role holding any of these has the page; one holding none has neither page nor
link."""


def _participant(trial, number: str, status: str, site: str | None = None) -> Participant:
    p = new_participant(number, site)
    p.status, p.part = status, trial.entry_part.id
    p.save(update_fields=["status", "part"])
    return p


def _saved(p: Participant, form_id: str, visit_id: str = "") -> FormRecord:
    record = FormRecord.objects.create(participant=p, visit_id=visit_id, form_id=form_id,
                                       created_at=timezone.now(), latest_version=1)
    FormVersion.objects.create(record=record, number=1, data={}, saved_by="test",
                               saved_role="test", saved_at=timezone.now(), protocol_version="x")
    return record


def _query(record: FormRecord, status: str = "open", assigned_to=None, days: int = 3) -> Query:
    return Query.objects.create(record=record, text="Please check.", status=status,
                                raised_by="test", assigned_to=assigned_to,
                                raised_at=timezone.now() - dt.timedelta(days=days))


def _clock(record: FormRecord) -> SeriousEventClock:
    now = timezone.now()
    return SeriousEventClock.objects.create(record=record, aware_at=now,
                                            deadline=now + dt.timedelta(hours=24))


class World:
    """Two sites: here, a participant with every visit due, a saved form with an open query
    assigned to the screener, a signed-form-to-be with an answered query, a serious event;
    a completed participant ready to lock and one that is not (an open query); the second site
    with the same kinds of item, which nobody scoped to the first site may see."""

    def __init__(self, trial, screener) -> None:
        today = clock.today()
        self.here = _participant(trial, "T-001", "enrolled")
        self.there = _participant(trial, "T-900", "enrolled", site="SECOND")
        self.visits = [v for v in trial.protocol.schedule.visits if v.forms]
        for p in (self.here, self.there):
            ScheduledVisit.objects.bulk_create([ScheduledVisit(
                participant=p, visit_id=v.id, target_date=today, latest=today + dt.timedelta(
                    days=2), earliest=today - dt.timedelta(days=1)) for v in self.visits])
        entered = next((v.id, f) for v in self.visits for f in v.forms
                       if may_enter(screener, trial.form(f)))
        self.entered = _saved(self.here, entered[1], entered[0])
        form, visit = signed_form(trial)
        self.to_sign = _saved(self.here, form.id, visit)
        self.open = _query(self.entered, assigned_to=screener.user)
        self.answered = _query(self.to_sign, status="answered", days=40)
        self.serious = _saved(self.here, trial.adverse_event_form.id)
        _clock(self.serious)
        elsewhere = _saved(self.there, entered[1], entered[0])
        _query(elsewhere)
        _query(_saved(self.there, form.id, visit), status="answered")
        _clock(_saved(self.there, trial.adverse_event_form.id))
        self.ready = _participant(trial, "T-100", "completed")
        _query(_saved(_participant(trial, "T-101", "completed"), entered[1], entered[0]))


def _urls(actor, kind: str) -> set[str] | None:
    group = next((g for g in my_tasks(actor).groups if g.kind == kind), None)
    return None if group is None else {i.url for i in group.items}


def _forms(urls: set[str]) -> set[str]:
    return {url.rstrip("/").split("/")[-1] for url in urls}


def _form_url(record: FormRecord) -> str:
    return reverse("pages:form_history", args=[record.pk])


def _query_urls(actor, trial, *queries: Query) -> set[str]:
    return {reverse("pages:query", args=[q.pk]) for q in queries
            if may_read(actor, trial.form(q.record.form_id))}


@pytest.fixture
def world(trial, make_actor):
    return World(trial, make_actor(trial.screener))


def test_assessments_are_the_due_visits_forms_the_role_enters_not_yet_saved_here_only(
        trial, make_actor, world):
    saved = set(FormRecord.objects.values_list("participant_id", "visit_id", "form_id"))
    for role in trial.roles("enter_data"):
        actor = make_actor(role.id, username=f"{role.id}-due")
        # A study-wide role (a central reader) has the second site's participant too.
        people = [world.here] if role.site_scoped else [world.here, world.there]
        expected = {reverse("pages:form_entry", args=[p.pk, v.id, f])
                    for p in people for v in world.visits for f in v.forms
                    if may_enter(actor, trial.form(f)) and trial.form(f).kind != "adverse_event"
                    and (p.pk, v.id, f) not in saved}
        assert _urls(actor, "assessments") == expected, role.id
        # A rater's list holds only the forms it reads (and enters): never another form.
        assert expected or role.reads is not None, role.id
        assert all(may_read(actor, trial.form(f)) for f in _forms(expected)), role.id


def test_forms_to_sign_queries_and_serious_events_are_exactly_the_ones_made_here(
        trial, make_actor, world):
    for role in trial.protocol.roles:
        actor = make_actor(role.id, username=f"{role.id}-tasks")
        kinds = {g.kind for g in my_tasks(actor).groups}
        here = role.site_scoped
        if "sign" in role.can:
            records = FormRecord.objects.all()  # nothing is signed in this world
            if here:
                records = records.filter(participant__site=world.here.site)
            assert _urls(actor, "signatures") == {
                _form_url(r) for r in records if trial.form(r.form_id).signature_required
                and may_read(actor, trial.form(r.form_id))}, role.id
            assert _form_url(world.to_sign) in _urls(actor, "signatures") or not may_read(
                actor, trial.form(world.to_sign.form_id))
        for permission, kind, status in (("answer_query", "answers", "open"),
                                         ("close_query", "closing", "answered")):
            if permission in role.can:
                expected = Query.objects.filter(status=status)
                if here:
                    expected = expected.filter(record__participant__site=world.here.site)
                assert _urls(actor, kind) == _query_urls(actor, trial, *expected), role.id
                made = {"open": 2, "answered": 1}[status]  # here; one more at SECOND
                assert len(expected) == made + (not here), "made above"
        if "report_adverse_event" in role.can:
            clocks = SeriousEventClock.objects.all()
            if here:
                clocks = clocks.filter(record__participant__site=world.here.site)
            assert _urls(actor, "serious_events") == {
                _form_url(c.record) for c in clocks if may_read(actor, trial.form(
                    c.record.form_id))}, role.id
        if "lock_data" in role.can:
            assert _urls(actor, "locking") == {
                reverse("pages:participant", args=[world.ready.pk])}, role.id
        if "verify_source" in role.can:
            listed = _urls(actor, "verification")
            assert listed == {_form_url(FormRecord(pk=f.record_id)) + "#verification"
                              for f in verification_worklist(actor)}, role.id
            there = {_form_url(r) for r in FormRecord.objects.filter(
                participant=world.there)}
            assert listed and not ({u.split("#")[0] for u in listed} & there
                                   if here else set()), role.id
        assert ("committee" in kinds) == ("review_safety" in role.can), role.id
        assert bool(TASK_PERMISSIONS & set(role.can)) == bool(kinds), role.id


def test_the_persons_assigned_queries_come_first_and_say_so(trial, make_actor, world):
    screener = make_actor(trial.screener, username="screener-assigned")
    _query(world.entered, days=30)
    mine = world.open
    mine.assigned_to = screener.user
    mine.save(update_fields=["assigned_to"])
    answers = next(g for g in my_tasks(screener).groups if g.kind == "answers").items
    assert answers[0].url == reverse("pages:query", args=[mine.pk])
    assert answers[0].flag == "assigned to you" and answers[0].age_days == 3
    assert [i.age_days for i in answers[1:]] == [30, 3]  # then the oldest first (T-101)
    assigned = next(g for g in my_tasks(screener).groups if g.kind == "assigned").items
    assert [i.url for i in assigned] == [answers[0].url]


def test_the_page_shows_the_items_in_words_and_the_dashboard_counts_them(
        trial, make_actor, world):
    investigator = make_actor(trial.investigator, username="investigator-page")
    client = signed_in(investigator.user.username, PASSWORD)
    page = client.get(reverse("pages:my_tasks"))
    assert page.status_code == 200
    body = page.content.decode()
    groups = page.context["tasks"].groups
    for group in groups:
        for item in group.items:
            assert f'href="{item.url}"' in body
    form = trial.form(world.to_sign.form_id)
    visit = trial.visit(world.to_sign.visit_id)
    assert f"{visit.name}: {form.name}" in body and "T-001" in body and "T-900" not in body
    dashboard = client.get(reverse("pages:dashboard"))
    assert {t.kind: t.count for t in dashboard.context["tasks"]} == {
        g.kind: g.count for g in groups if g.count}
    assert 'href="/tasks/">All my tasks</a>' in dashboard.content.decode()
    assert '<a href="/tasks/" aria-current="page">My tasks</a>' in body
    assert '<a href="/tasks/">My tasks</a>' in dashboard.content.decode()


def test_a_role_without_tasks_has_neither_the_link_nor_the_page(trial, make_actor):
    for role in trial.protocol.roles:
        if TASK_PERMISSIONS & set(role.can):
            continue
        actor = make_actor(role.id, username=f"{role.id}-idle")
        client = signed_in(actor.user.username, PASSWORD, role.id)
        assert 'href="/tasks/"' not in client.get(reverse("pages:dashboard")).content.decode()
        assert client.get(reverse("pages:my_tasks")).status_code == 403, role.id


def test_the_page_costs_the_same_queries_for_ten_and_for_three_hundred_participants(
        trial, make_actor):
    roles = {trial.screener, trial.investigator, trial.data_manager, trial.monitor}
    clients = [signed_in(make_actor(role).user.username, PASSWORD) for role in sorted(roles)]
    _add_participants(trial, 1, 10)
    few = [_queries(c, "/tasks/") for c in clients]
    _add_participants(trial, 11, 290)
    assert [_queries(c, "/tasks/") for c in clients] == few


def _report(session: str, produced_at: dt.datetime) -> SmcReport:
    return SmcReport.objects.create(
        study=Study.objects.get(is_current=True), gate_index=0, session=session,
        as_of=produced_at.date(), data_sha256="0" * 64, pdf_sha256="1" * 64,
        html_sha256="2" * 64, pdf=b"", html=b"", produced_by="test", produced_role="test",
        produced_at=produced_at)


@pytest.mark.protocols("committee_gate")
def test_committee_reports_await_a_decision_until_one_is_signed_after_them(trial, make_actor):
    now = timezone.now()
    decided = _report("open", now - dt.timedelta(days=9))
    waiting = _report("open", now - dt.timedelta(days=2))
    closed = _report("closed", now - dt.timedelta(days=2))
    reviewers = [r for r in trial.protocol.roles if "review_safety" in r.can]
    actors = [make_actor(r.id, username=f"{r.id}-committee") for r in reviewers]
    SafetyDecision.objects.create(
        study=decided.study, gate_index=0, decision="x", rationale="x",
        signed_by=actors[0].user, signer_role="x", printed_name="x", meaning="x",
        signed_at=now - dt.timedelta(days=5))
    for role, actor in zip(reviewers, actors, strict=True):
        if not is_study_wide(actor):  # the reports are for study-wide reviewers only
            assert _urls(actor, "committee") == set(), role.id
            continue
        shown = {waiting} | ({closed} if "arm_summaries" in role.sees else set())
        assert _urls(actor, "committee") == {
            reverse("pages:smc_report_html", args=[r.pk]) for r in shown}, role.id


def _screened(trial, number: str, statuses: list[str], site: str | None = None,
              status: str = "screening", judged: dict | None = None) -> Participant:
    p = new_participant(number, site)
    criteria = trial.protocol.eligibility.criteria
    p.status = status
    p.eligibility = {
        "index_date": "2026-01-05", "evaluated_on": "2026-01-05", "result": {"criteria": [
            {"id": c.id, "kind": c.kind, "status": s, "explanation": ""}
            for c, s in zip(criteria, statuses, strict=False)]}, "judgements": judged or {}}
    p.save(update_fields=["status", "eligibility"])
    return p


def test_candidates_with_criteria_left_to_judge_are_listed_for_the_investigator_here(
        trial, make_actor):
    first = trial.protocol.eligibility.criteria[0]
    waiting = _screened(trial, "C-001", ["unknown", "unknown"])
    half = _screened(trial, "C-002", ["unknown", "unknown"], status="consented", judged={
        first.id: {"status": "met", "by": "x", "on": "2026-01-06", "rationale": "x"}})
    _screened(trial, "C-003", ["met"])
    _screened(trial, "C-004", ["unknown"], status="enrolled")
    _screened(trial, "C-900", ["unknown"], site="SECOND")
    investigator = make_actor(trial.investigator, username="investigator-judge")
    items = {i.url: i.what for g in my_tasks(investigator).groups if g.kind == "judgements"
             for i in g.items}
    assert items == {reverse("pages:screening", args=[waiting.pk]):
                     "2 eligibility criteria await a judgement",
                     reverse("pages:screening", args=[half.pk]):
                     "1 eligibility criterion awaits a judgement"}
