"""The randomization list (seeded, hashed at release, then fixed) and allocation."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from tests.conftest import REFERENCE_PROTOCOL
from tests.integration.journey_support import (
    Clock,
    eligible_and_consented,
    last_it_day,
    make_team,
    open_phase2a,
    register_and_screen,
)
from trialkit.core.randomization import generate_list, minimise_for, tally
from trialkit.web.trial.access import access_randomization_list
from trialkit.web.trial.actions.base import NotPermittedError, StateConflictError
from trialkit.web.trial.actions.participants import do_record_consent
from trialkit.web.trial.actions.randomization import (
    do_generate_randomization_list,
    do_randomize_participant,
    do_release_randomization_list,
    verify_randomization_list,
)
from trialkit.web.trial.actions.study import do_load_protocol
from trialkit.web.trial.models import AuditEvent, RandomizationList, RandomizationSlot
from trialkit.web.trial.study import current_study, protocol_of

DAY = dt.timedelta(days=1)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def team(make_actor):
    return make_team(make_actor)


def _first_phase2a_day(phase1) -> dt.date:
    return last_it_day(phase1) + 35 * DAY


def test_only_the_unblinded_statistician_generates_and_releases_the_list(team):
    for actor in (team.coordinator, team.investigator, team.chair):
        with pytest.raises(NotPermittedError):
            do_generate_randomization_list(1, actor=actor)
    do_generate_randomization_list(1, actor=team.statistician)
    with pytest.raises(NotPermittedError):
        do_release_randomization_list(actor=team.coordinator)


def test_the_released_hash_is_the_seeds_list_and_the_list_can_no_longer_change(team):
    do_generate_randomization_list(11, actor=team.statistician)
    do_generate_randomization_list(42, actor=team.statistician)  # replaced before release
    protocol = protocol_of(current_study())
    expected = generate_list(protocol, np.random.default_rng(42))
    sha = do_release_randomization_list(actor=team.statistician)
    rand_list = RandomizationList.objects.get()
    assert sha == expected.sha256() == rand_list.sha256
    assert rand_list.slots.count() == len(expected.slots) >= 70
    assert verify_randomization_list(protocol, current_study())
    with pytest.raises(StateConflictError, match="live"):
        do_generate_randomization_list(43, actor=team.statistician)
    with pytest.raises(StateConflictError, match="live already"):
        do_release_randomization_list(actor=team.statistician)
    slot = rand_list.slots.order_by("pk").first()
    RandomizationSlot.objects.filter(pk=slot.pk).update(
        arm="placebo" if slot.arm == "umsc01" else "umsc01")
    assert not verify_randomization_list(protocol, current_study())
    generated = AuditEvent.objects.filter(action="generate_randomization_list").last()
    assert generated.new["seed_digest"] == rand_list.seed_digest and "42" not in json.dumps(
        generated.new)


def test_randomization_is_refused_before_consent_and_before_confirmed_eligibility(team, clock):
    phase1 = open_phase2a(team, clock)
    index = _first_phase2a_day(phase1)
    unconsented = register_and_screen("P2-001", team, clock, index)
    with pytest.raises(StateConflictError, match="No signed informed consent"):
        do_randomize_participant(unconsented, actor=team.coordinator)
    do_record_consent(unconsented, clock.today, "ICF 2.0", "Dr Lin", actor=team.coordinator)
    with pytest.raises(StateConflictError, match="not confirmed eligible"):
        do_randomize_participant(unconsented, actor=team.coordinator)
    assert not RandomizationSlot.objects.filter(participant__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="randomize_participant").exists()
    with pytest.raises(NotPermittedError):
        do_randomize_participant(unconsented, actor=team.statistician)


def test_each_participant_takes_the_next_slot_of_their_stratum_once(team, clock):
    phase1 = open_phase2a(team, clock)
    index = _first_phase2a_day(phase1)
    spms = [eligible_and_consented(f"P2-S{n}", team, clock, index, course="SPMS")
            for n in range(3)]
    results = [do_randomize_participant(p, actor=team.coordinator) for p in spms]
    slots = [RandomizationSlot.objects.get(participant=p) for p in spms]
    assert [s.sequence for s in slots] == [1, 2, 3]
    assert {s.stratum for s in slots} == {json.dumps([["ms_course", "SPMS"]])}
    assert [r.randomization_number for r in results] == [s.number for s in slots]
    assert [do_randomize_participant(p, actor=team.coordinator) for p in spms] == [
        type(r)(r.screening_number, r.randomization_number, r.kit_code, False) for r in results]
    events = AuditEvent.objects.filter(action="randomize_participant")
    assert events.count() == 3
    arms = {"umsc01", "placebo"}
    assert not any(arms & set(map(str, e.new.values())) for e in events)


def test_minimisation_selected_by_the_protocol_allocates_reproducibly(team, clock, admin,
                                                                      tmp_path):
    amended = tmp_path / "minimisation.yaml"
    amended.write_text(REFERENCE_PROTOCOL.read_text(encoding="utf-8").replace(
        "method: permuted_blocks", "method: minimisation"), encoding="utf-8")
    do_load_protocol(amended, actor=admin)
    phase1 = open_phase2a(team, clock)
    assert RandomizationList.objects.get().method == "minimisation"
    index = _first_phase2a_day(phase1)
    people = [eligible_and_consented(f"P2-M{n}", team, clock, index,
                                     course="RRMS" if n % 3 else "SPMS") for n in range(8)]
    for p in people:
        do_randomize_participant(p, actor=team.coordinator)
    rows = access_randomization_list(team.statistician)
    used = sorted((r for r in rows if r["participant"]), key=lambda r: r["sequence"])
    assert [r["sequence"] for r in used] == list(range(1, 9))
    protocol = protocol_of(current_study())
    for k, row in enumerate(used):
        counts = tally((r["levels"], r["arm"]) for r in used[:k])
        slot = RandomizationSlot.objects.get(number=row["randomization_number"])
        again = minimise_for(protocol.randomization, counts, row["levels"],
                             np.random.default_rng(slot.draw_seed))
        assert again.arm == row["arm"] and row["decision"]["draw"] == again.draw
    assert verify_randomization_list(protocol, current_study())
