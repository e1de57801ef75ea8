"""The dashboard and the participant page cost a fixed number of queries (no N+1), measured
with 1,000 participants, on every protocol. The participants are test data written in bulk in
the protocol's part, visits, adverse-event form and arms; the pages are the real ones."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import signed_in
from trialkit.web.trial.models import (
    FormRecord,
    FormVersion,
    Participant,
    RandomizationList,
    RandomizationSlot,
    ScheduledVisit,
    Site,
    Study,
)

pytestmark = pytest.mark.protocols()

# Most of these are Actor.protocol() reading the current Study row on each permission check
# (a constant number per page); the point is that the count does not grow with participants.
DASHBOARD_BOUND = 50
PARTICIPANT_BOUND = 50


def _add_participants(trial, start: int, count: int) -> list[Participant]:
    part = trial.randomized_part or trial.entry_part
    study = Study.objects.get(is_current=True)
    site = Site.objects.get(code=trial.site)
    now, today = timezone.now(), timezone.localdate()
    people = Participant.objects.bulk_create([Participant(
        study=study, site=site, screening_number=f"B-{n:05d}", status="enrolled",
        part=part.id, sequence_in_part=n, enrolled_at=now, planned_day0=today,
        consent_date=today) for n in range(start, start + count)])
    visits = [(v.id, v.day) for v in trial.protocol.schedule.visits
              if v.day is not None and v.day >= 0][:3]
    ScheduledVisit.objects.bulk_create([ScheduledVisit(
        participant=p, visit_id=visit, target_date=today + dt.timedelta(days=day),
        earliest=today + dt.timedelta(days=day - 3), latest=today + dt.timedelta(days=day + 3))
        for p in people for visit, day in visits])
    form = trial.adverse_event_form
    records = FormRecord.objects.bulk_create([FormRecord(
        participant=p, visit_id="", form_id=form.id, created_at=now, latest_version=1)
        for p in people])
    values = {form.item_with("AE", "AETERM").id: "Headache",
              form.item_with("AE", "AESER").id: False,
              form.item_with("AE", "AESTDTC").id: today.isoformat()}
    FormVersion.objects.bulk_create([FormVersion(
        record=r, number=1, data=values, saved_by="test", saved_role=trial.screener,
        saved_at=now, protocol_version="x") for r in records])
    _allocate(trial, part, people, now)
    return people


def _allocate(trial, part, people, now) -> None:
    if trial.protocol.randomization is None:
        return
    rand_list, _ = RandomizationList.objects.get_or_create(
        study=Study.objects.get(is_current=True), part=part.id, defaults={
            "method": "permuted_blocks", "generated_by": "test",
            "generated_at": now, "live_at": now})
    units = [s.id for s in part.sequences] or list(part.arms)
    field = "treatment_sequence" if part.is_crossover else "arm"
    RandomizationSlot.objects.bulk_create([RandomizationSlot(
        randomization_list=rand_list, stratum="[]", sequence=p.sequence_in_part,
        number=f"{p.sequence_in_part:05d}", kit_code=f"K-{p.pk}", participant=p,
        allocated_at=now, **{field: units[p.pk % len(units)]}) for p in people])


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_dashboard_costs_the_same_queries_for_ten_and_for_a_thousand_participants(
        trial, make_actor, django_assert_max_num_queries):
    coordinator = signed_in(make_actor(trial.screener).name, PASSWORD)
    unblinded = signed_in(make_actor(trial.list_manager).name, PASSWORD)
    _add_participants(trial, 1, 10)
    few = (_queries(coordinator, "/"), _queries(unblinded, "/"))
    _add_participants(trial, 11, 990)
    with django_assert_max_num_queries(DASHBOARD_BOUND):
        coordinator.get("/")
    many = (_queries(coordinator, "/"), _queries(unblinded, "/"))
    assert many == few
    page = unblinded.get("/").content.decode()
    target = (trial.randomized_part or trial.entry_part).enrolment_target
    assert f"1000 of {target} enrolled" in page.replace("</span>", "").replace(
        '<span class="big">', "")


def test_the_participant_page_and_the_list_cost_a_fixed_number_of_queries(
        trial, make_actor, django_assert_max_num_queries):
    client = signed_in(make_actor(trial.screener).name, PASSWORD)
    people = _add_participants(trial, 1, 1000)
    url = reverse("pages:participant", args=[people[0].pk])
    few = _queries(client, url)
    FormRecord.objects.bulk_create([FormRecord(
        participant=people[0], visit_id="", form_id=trial.adverse_event_form.id, repeat_index=n,
        created_at=timezone.now(), latest_version=0) for n in range(2, 40)])
    with django_assert_max_num_queries(PARTICIPANT_BOUND):
        client.get(url)
    assert _queries(client, url) == few
    listing = _queries(client, reverse("pages:participants"))
    assert listing == _queries(client, reverse("pages:participants") + "?page=20")
