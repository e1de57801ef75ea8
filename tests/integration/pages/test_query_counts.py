"""The dashboard and the participant page cost a fixed number of queries (no N+1), measured
with 1,000 participants. The participants are test data written in bulk; the pages are the
real ones."""

from __future__ import annotations

import datetime as dt

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

# Most of these are Actor.protocol() reading the current Study row on each permission check
# (a constant number per page); the point is that the count does not grow with participants.
DASHBOARD_BOUND = 50
PARTICIPANT_BOUND = 50


def _add_participants(start: int, count: int) -> list[Participant]:
    study, site = Study.objects.get(is_current=True), Site.objects.get(code="CMUH")
    now, today = timezone.now(), timezone.localdate()
    people = Participant.objects.bulk_create([Participant(
        study=study, site=site, screening_number=f"B-{n:05d}", status="enrolled",
        part="phase2a", sequence_in_part=n, enrolled_at=now, planned_day0=today,
        consent_date=today) for n in range(start, start + count)])
    ScheduledVisit.objects.bulk_create([ScheduledVisit(
        participant=p, visit_id=visit, target_date=today + dt.timedelta(days=day),
        earliest=today + dt.timedelta(days=day - 3), latest=today + dt.timedelta(days=day + 3))
        for p in people for visit, day in (("D0", 0), ("D28", 28), ("W4PIT", 56))])
    records = FormRecord.objects.bulk_create([FormRecord(
        participant=p, visit_id="", form_id="AE", created_at=now, latest_version=1)
        for p in people])
    FormVersion.objects.bulk_create([FormVersion(
        record=r, number=1, data={"term": "Headache", "ctcae_grade": "1", "serious": False,
                                  "onset_date": today.isoformat()},
        saved_by="test", saved_role="coordinator", saved_at=now, protocol_version="x")
        for r in records])
    rand_list, _ = RandomizationList.objects.get_or_create(
        study=study, part="phase2a", defaults={"method": "permuted_blocks", "seed_digest": "x",
                                               "generated_by": "test", "generated_at": now,
                                               "live_at": now})
    RandomizationSlot.objects.bulk_create([RandomizationSlot(
        randomization_list=rand_list, stratum="[]", sequence=p.sequence_in_part,
        number=f"{p.sequence_in_part:05d}", arm=("umsc01", "placebo")[p.pk % 2],
        kit_code=f"K-{p.pk}", participant=p, allocated_at=now) for p in people])
    return people


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_dashboard_costs_the_same_queries_for_ten_and_for_a_thousand_participants(
        make_actor, django_assert_max_num_queries):
    make_actor("coordinator")
    make_actor("unblinded_statistician")
    coordinator = signed_in("coordinator-CMUH", PASSWORD)
    unblinded = signed_in("unblinded_statistician-all", PASSWORD)
    _add_participants(1, 10)
    few = (_queries(coordinator, "/"), _queries(unblinded, "/"))
    _add_participants(11, 990)
    with django_assert_max_num_queries(DASHBOARD_BOUND):
        coordinator.get("/")
    many = (_queries(coordinator, "/"), _queries(unblinded, "/"))
    assert many == few
    page = unblinded.get("/").content.decode()
    assert "1000 of 35 enrolled" in page.replace("</span>", "").replace(
        '<span class="big">', "")


def test_the_participant_page_and_the_list_cost_a_fixed_number_of_queries(
        make_actor, django_assert_max_num_queries):
    make_actor("coordinator")
    client = signed_in("coordinator-CMUH", PASSWORD)
    people = _add_participants(1, 1000)
    url = reverse("pages:participant", args=[people[0].pk])
    few = _queries(client, url)
    FormRecord.objects.bulk_create([FormRecord(
        participant=people[0], visit_id="", form_id="AE", repeat_index=n,
        created_at=timezone.now(), latest_version=0) for n in range(2, 40)])
    with django_assert_max_num_queries(PARTICIPANT_BOUND):
        client.get(url)
    assert _queries(client, url) == few
    listing = _queries(client, reverse("pages:participants"))
    assert listing == _queries(client, reverse("pages:participants") + "?page=20")
