"""The study charts page, on every protocol's demo with data of the test's own: each chart's
numbers equal counts made here from the rows, for every role that may open the page, at its
own sites only; the other roles are refused it and are not linked to it; the dashboard's card
says the same numbers."""

from __future__ import annotations

import datetime as dt
import html
import re
import zoneinfo
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.integration.pages.support import client_for, text_of
from tests.protocol_cases import allocation_secrets, named_in, public_texts
from trialkit.core.eligibility.evaluation import Evaluation
from trialkit.core.protocol.reading import reads
from trialkit.web.trial import clock
from trialkit.web.trial.models import (
    FormRecord,
    FormVersion,
    Participant,
    Query,
    ScheduledVisit,
    Site,
    Study,
)

pytestmark = pytest.mark.protocols()

# Who opens the page, as a spec of its own (the roles that review safety, verify source data,
# manage or lock the data, export it for analysis, or sign as investigators).
OVERSEEING = {"review_safety", "verify_source", "close_query", "lock_data", "export_data", "sign"}
URL = "/charts/"


def _overseers(trial) -> list:
    return [r for r in trial.protocol.roles if OVERSEEING & set(r.can)]


# -- the test's own rows --------------------------------------------------------------------

def _grade_item(form):
    return form.item_with("AE", "AETOXGR") or form.item_with("AE", "AESEV")


def _enrolled(trial, number: str, site: Site, on: dt.date, n: int) -> Participant:
    part = trial.randomized_part or trial.entry_part
    return Participant.objects.create(
        study=Study.objects.get(is_current=True), site=site, screening_number=number,
        status=Participant.Status.ENROLLED, part=part.id, sequence_in_part=900 + n,
        enrolled_at=dt.datetime.combine(on, dt.time(12), tzinfo=dt.UTC), consent_date=on,
        planned_day0=on)


def _visit(participant: Participant, visit_id: str, today: dt.date, opens: int, closes: int,
           done: int | None = None, missed: bool = False) -> None:
    ScheduledVisit.objects.create(
        participant=participant, visit_id=visit_id,
        target_date=today + dt.timedelta(days=(opens + closes) // 2),
        earliest=today + dt.timedelta(days=opens), latest=today + dt.timedelta(days=closes),
        done_on=None if done is None else today + dt.timedelta(days=done), missed=missed)


def _event(trial, participant: Participant, grade: object, serious: bool) -> None:
    form = trial.adverse_event_form
    record = FormRecord.objects.create(
        participant=participant, visit_id="", form_id=form.id, created_at=timezone.now(),
        repeat_index=FormRecord.objects.filter(participant=participant,
                                               form_id=form.id).count() + 1,
        latest_version=1)
    values = {form.item_with("AE", "AETERM").id: "Headache",
              form.item_with("AE", "AESTDTC").id: "2025-03-10",
              form.item_with("AE", "AESER").id: serious}
    if grade is not None:
        values[_grade_item(form).id] = grade
    FormVersion.objects.create(record=record, number=1, data=values, saved_by="test",
                               saved_role=trial.screener, saved_at=timezone.now(),
                               protocol_version="x")


def _add_rows(trial) -> None:
    """Participants at the first site and at another one, enrolled on two days, with a visit
    in each standing and adverse events of the first and last grade and none."""
    here = Site.objects.get(code=trial.site)
    elsewhere, _ = Site.objects.get_or_create(code="SECOND", defaults={
        "name": "Second", "country": "Elsewhere", "status": "RECRUITING"})
    visit = next(v.id for v in trial.protocol.schedule.visits if not v.unscheduled)
    today = clock.today()
    first, second = dt.date(2025, 3, 10), dt.date(2025, 3, 12)
    # (window opens, closes, done on, recorded missed) in days from today: done in window,
    # done late, recorded missed, window closed undone, window open now, not yet open.
    standings = [(-5, 5, -1, False), (-20, -10, -2, False), (-20, -10, None, True),
                 (-20, -10, None, False), (-2, 3, None, False), (10, 20, None, False)]
    people = [_enrolled(trial, f"CH-{n}", here, first if n < 3 else second, n)
              for n in range(len(standings))]
    for person, standing in zip(people, standings, strict=True):
        _visit(person, visit, today, *standing)
    codes = [c.code for c in trial.protocol.codelist(_grade_item(
        trial.adverse_event_form).codelist).items]
    _event(trial, people[0], codes[0], serious=True)
    _event(trial, people[0], codes[-1], serious=False)
    _event(trial, people[1], None, serious=False)
    away = _enrolled(trial, "CH-AWAY", elsewhere, second, 99)
    _visit(away, visit, today, -20, -10)
    _event(trial, away, codes[-1], serious=True)
    left = _enrolled(trial, "CH-LEFT", here, second, 98)
    Participant.objects.filter(pk=left.pk).update(status=Participant.Status.WITHDRAWN)
    _visit(left, visit, today, -20, -10)  # no longer expected: not counted


# -- what the page should say, counted here ---------------------------------------------------

def _sign_in(demo, role):
    return next(s for s in demo.sign_ins if s.role == role.id)


def _participants(trial, demo, role):
    rows = Participant.objects.all()
    if role.site_scoped:
        rows = rows.filter(site__code=_sign_in(demo, role).site)
    return rows


def _zone(trial, demo, role):
    sites = Site.objects.all() if not role.site_scoped else Site.objects.filter(
        code=_sign_in(demo, role).site)
    zones = set(sites.values_list("time_zone", flat=True))
    return zoneinfo.ZoneInfo(zones.pop()) if len(zones) == 1 else dt.UTC


def _expected_enrolment(trial, people, zone) -> Counter:
    enrolled = people.exclude(sequence_in_part=None).exclude(enrolled_at=None)
    return Counter(p.enrolled_at.astimezone(zone).date() for p in enrolled)


def _expected_funnel(trial, people) -> dict[str, int]:
    randomized = {p.id for p in trial.protocol.design.parts if p.allocation == "RANDOMIZED"}
    verdicts = [Evaluation.from_json(p.eligibility).verdict for p in people if p.eligibility]
    funnel = {"Screened": len(verdicts), "Eligible": verdicts.count("eligible"),
              "Consented": people.exclude(consent_date=None).count(),
              "Enrolled": people.exclude(sequence_in_part=None).count()}
    if randomized:
        funnel["Randomized"] = people.exclude(sequence_in_part=None).filter(
            part__in=randomized).count()
    funnel["Completed"] = people.filter(status="completed").count()
    return funnel


def _expected_visits(people, today) -> dict[str, Counter]:
    """Visit id → standing, by plain date comparisons."""
    found: dict[str, Counter] = {}
    for v in ScheduledVisit.objects.filter(participant__in=people).select_related("participant"):
        if v.done_on is not None:
            inside = v.earliest is None or v.earliest <= v.done_on <= v.latest
            kind = "in_window" if inside else "out_of_window"
        elif v.missed:
            kind = "missed"
        elif v.participant.status != "enrolled":
            continue
        elif v.earliest is None or today < v.earliest:
            kind = "not_yet_due"
        elif today <= v.latest:
            kind = "due_now"
        else:
            kind = "missed"
        found.setdefault(v.visit_id, Counter())[kind] += 1
    return found


def _expected_events(trial, people, role) -> Counter:
    """(grade code or None, serious) → events, on the forms the role reads."""
    forms = [f for f in trial.forms_of_kind("adverse_event") if reads(role, f)]
    found: Counter = Counter()
    for form in forms:
        for version in FormVersion.objects.filter(record__participant__in=people,
                                                  record__form_id=form.id):
            if version.number != version.record.latest_version:
                continue
            grade = _grade_item(form)
            code = version.data.get(grade.id) if grade else None
            found[(None if code in (None, "") else str(code),
                   version.data.get(form.item_with("AE", "AESER").id) is True)] += 1
    return found


def _expected_ageing(trial, people, role) -> list[tuple[int, int]]:
    read = [f.id for f in trial.protocol.forms if reads(role, f)]
    now = clock.now()
    ages = [((now - q.raised_at).days, q.status) for q in Query.objects.filter(
        record__participant__in=people, record__form_id__in=read).exclude(status="closed")]
    limits = [(0, 7), (8, 30), (31, None)]
    return [(sum(s == "open" and low <= a and (high is None or a <= high) for a, s in ages),
             sum(s == "answered" and low <= a and (high is None or a <= high) for a, s in ages))
            for low, high in limits]


def _cells(page: str, first: str) -> list[str]:
    """The cells of the table row whose first cell reads ``first``."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        if cells and cells[0] == first:
            return cells[1:]
    raise AssertionError(f"no table row for {first!r}")


# -- the tests --------------------------------------------------------------------------------

def test_the_charts_open_for_the_roles_that_oversee_the_trial_and_no_other(trial, module_demo):
    overseers = {r.id for r in _overseers(trial)}
    assert overseers, "every protocol has a role that oversees the trial"
    for role in trial.protocol.roles:
        client = client_for(module_demo, role.id)
        page = client.get(URL)
        nav = client.get(reverse("pages:dashboard")).content.decode()
        if role.id in overseers:
            assert page.status_code == 200, role.id
            assert f'href="{URL}"' in nav, role.id
        else:
            assert page.status_code == 403, role.id
            assert "study charts are for the roles that" in text_of(page.content), role.id
            assert f'href="{URL}"' not in nav, role.id


def test_every_chart_counts_what_the_rows_hold_at_the_roles_own_sites(trial, module_demo):
    _add_rows(trial)
    for role in _overseers(trial):
        people = _participants(trial, module_demo, role)
        zone = _zone(trial, module_demo, role)
        response = client_for(module_demo, role.id).get(URL)
        assert response.status_code == 200, role.id
        page, context = response.content.decode(), response.context

        by_day = _expected_enrolment(trial, people, zone)
        days = context["enrolment"].days
        assert {d.day: d.enrolled for d in days} == dict(by_day), role.id
        assert context["enrolment"].enrolled == sum(by_day.values())
        for day in days:
            assert _cells(page, day.day.isoformat())[:2] == [str(day.enrolled),
                                                              str(day.enrolled_total)]
        planned = trial.protocol.design.enrolment.count
        assert f"{sum(by_day.values())} of {planned} planned enrolled" in text_of(
            response.content).replace("  ", " ")

        funnel = _expected_funnel(trial, people)
        assert dict(context["funnel"]) == funnel, role.id
        for step, n in funnel.items():
            assert _cells(page, step) == [str(n)]
        assert "; ".join(f"{s}: {n}" for s, n in funnel.items()) in html.unescape(page)

        today = clock.now().astimezone(zone).date()
        visits = _expected_visits(people, today)
        names = {v.id: v.name for v in trial.protocol.schedule.visits}
        for visit_id, counted in visits.items():
            cells = _cells(page, names[visit_id])
            assert cells == [str(counted[k]) for k in (
                "in_window", "out_of_window", "missed", "due_now", "not_yet_due")], (
                role.id, visit_id)

        ageing = [(b.open, b.answered) for b in context["ageing"]]
        assert ageing == _expected_ageing(trial, people, role), role.id

        _check_events(trial, role, people, context["events"], page)


def _check_events(trial, role, people, events, page: str) -> None:
    expected = _expected_events(trial, people, role)
    if not any(reads(role, f) for f in trial.forms_of_kind("adverse_event")):
        assert not events.reads_events
        assert "does not read the adverse-event forms" in page
        return
    grade = _grade_item(trial.adverse_event_form)
    decodes = {c.code: c.decode for c in trial.protocol.codelist(grade.codelist).items}
    rows = {r.label: (r.serious, r.not_serious) for r in events.rows}
    for code, decode in decodes.items():
        label = next(label for label in rows if label == decode or label.endswith(
            f": {decode}"))
        assert rows[label] == (expected[(code, True)], expected[(code, False)]), (role.id, code)
        assert _cells(page, label) == [str(n) for n in (*rows[label], sum(rows[label]))]
    unrecorded = (expected[(None, True)], expected[(None, False)])
    assert rows.get("Not recorded", (0, 0)) == unrecorded
    assert events.events == sum(expected.values())


def test_a_site_role_counts_only_its_own_sites(trial, module_demo):
    _add_rows(trial)
    site_role = next(r for r in _overseers(trial) if r.site_scoped)
    wide_role = next(r for r in _overseers(trial) if not r.site_scoped)
    site_page = client_for(module_demo, site_role.id).get(URL).context
    wide_page = client_for(module_demo, wide_role.id).get(URL).context
    elsewhere = Participant.objects.exclude(site__code=trial.site).exclude(
        sequence_in_part=None).count()
    assert elsewhere >= 1
    assert wide_page["enrolment"].enrolled - site_page["enrolment"].enrolled == elsewhere
    assert wide_page["enrolment"].planned == site_page["enrolment"].planned


def test_no_chart_names_an_arm_to_a_blinded_role(trial, module_demo):
    # The page is also crawled with every other one (test_blinding_crawl, test_inference).
    _add_rows(trial)
    secrets = {s.lower() for s in allocation_secrets(trial.protocol)}
    for role in _overseers(trial):
        if not role.blinded:
            continue
        text = text_of(client_for(module_demo, role.id).get(URL).content)
        for known in public_texts(trial.protocol):  # the design's words, nobody's allocation
            text = text.replace(known, " ")
        assert named_in(text, secrets) == set(), role.id


def test_the_dashboard_card_links_to_the_charts_with_the_same_numbers(trial, module_demo):
    _add_rows(trial)
    for role in _overseers(trial):
        client = client_for(module_demo, role.id)
        charts = client.get(URL).context
        card = text_of(client.get(reverse("pages:dashboard")).content)
        enrolled = charts["enrolment"].enrolled
        missed = sum(v.missed for v in charts["visits"])
        outside = sum(v.out_of_window for v in charts["visits"])
        assert (f"{enrolled} of {charts['enrolment'].planned} planned enrolled · {missed} "
                f"visit{'s' * (missed != 1)} missed · {outside} visit{'s' * (outside != 1)} "
                "done out of window") in card, role.id
