"""Concurrent randomization on PostgreSQL, on every randomized protocol: each request in its
own thread and connection."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.integration.journey_support import (
    Clock,
    eligible_and_consented,
    make_team,
    open_randomized_part,
)
from trialkit.web.trial.actions.base import StateConflictError
from trialkit.web.trial.actions.randomization import do_randomize_participant
from trialkit.web.trial.models import AuditEvent, Participant, RandomizationSlot

pytestmark = pytest.mark.protocols("randomized")


@pytest.fixture(scope="module")
def _audit_trigger_back_on(django_db_blocker):
    yield
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE trial_auditevent ENABLE TRIGGER USER")


@pytest.fixture
def committed(_audit_trigger_back_on, transactional_db):
    """Committed data other connections see; the append-only trigger is lifted only so the
    test database can be emptied afterwards (and is switched on again for later tests)."""
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE trial_auditevent DISABLE TRIGGER USER")


@pytest.fixture
def ready(committed, trial, make_actor, monkeypatch):
    clock = Clock(monkeypatch)
    team = make_team(trial, make_actor)
    return team, clock, open_randomized_part(team, clock).day0


def _all_at_once(calls):
    """Run every call in its own thread, released together; returns results or errors."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait()
            return call()
        except StateConflictError as refused:
            return refused
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _assert_block_balance(slots, ratio: dict[str, int]):
    """Within each stratum the slots were used in order, and every complete block holds the
    arms (or sequences) in the protocol's ratio."""
    by_stratum = defaultdict(list)
    for slot in slots:
        by_stratum[slot.stratum].append(slot)
    total = sum(ratio.values())
    for stratum, used in by_stratum.items():
        used.sort(key=lambda s: s.sequence)
        assert [s.sequence for s in used] == list(range(1, len(used) + 1)), stratum
        for block in {s.block for s in used}:
            members = [s for s in used if s.block == block]
            if len(members) == members[0].block_size:
                assert Counter(s.treatment_sequence or s.arm for s in members) == Counter(
                    {unit: len(members) * share // total for unit, share in ratio.items()})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_more_concurrent_requests_than_places_allocate_exactly_the_places(trial, ready):
    team, clock, index = ready
    part = trial.randomized_part
    places, extra = part.enrolment_target, 12
    strata = trial.protocol.randomization.strata
    people = [eligible_and_consented(f"R-{n:03d}", team, clock, index, {
        f.form: {f.item: f.levels[n % len(f.levels)]} for f in strata})
        for n in range(places + extra)]
    outcomes = _all_at_once([lambda p=p: do_randomize_participant(p, actor=team.coordinator)
                             for p in people])
    allocated = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, StateConflictError)]
    assert (len(allocated), len(refused)) == (places, extra)
    # The list is drawn afresh each run: when its whole blocks end exactly at the target, the
    # list runs out of slots before the target refuses.
    assert all("would exceed the target" in r.message or "no free slot left" in r.message
               for r in refused)
    slots = list(RandomizationSlot.objects.filter(participant__isnull=False))
    assert len(slots) == places == len({s.number for s in slots}) == len(
        {s.participant_id for s in slots})
    assert sorted(a.randomization_number for a in allocated) == sorted(s.number for s in slots)
    assert Participant.objects.filter(part=part.id, status="enrolled").count() == places
    assert sorted(Participant.objects.filter(part=part.id).values_list(
        "sequence_in_part", flat=True)) == list(range(1, places + 1))
    assert AuditEvent.objects.filter(action="randomize_participant").count() == places
    _assert_block_balance(slots, trial.protocol.randomization.ratio)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_for_one_participant_give_one_allocation(ready):
    team, clock, index = ready
    participant = eligible_and_consented("R-REPEAT", team, clock, index)
    outcomes = _all_at_once([lambda: do_randomize_participant(participant,
                                                              actor=team.coordinator)] * 12)
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert len({(o.randomization_number, o.kit_code) for o in outcomes}) == 1
    assert sum(o.new for o in outcomes) == 1
    assert RandomizationSlot.objects.filter(participant=participant).count() == 1
