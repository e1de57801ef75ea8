"""The randomization list (from seeds the server draws, its keyed digest recorded at release,
then fixed) and allocation, on every randomized protocol — to an arm, or to a sequence of arms
in a crossover part."""

from __future__ import annotations

import hashlib
import hmac
import json

import numpy as np
import pytest
import yaml

from tests.integration.journey_support import (
    eligible_and_consented,
    open_randomized_part,
    register_and_screen,
)
from trialkit.core.randomization import generate_list, minimise_for, tally
from trialkit.core.randomization.kits import draw_kit_codes
from trialkit.web.trial.access import access_randomization_list
from trialkit.web.trial.actions.base import NotPermittedError, StateConflictError
from trialkit.web.trial.actions.participants import do_register_candidate
from trialkit.web.trial.actions.randomization import (
    do_generate_randomization_list,
    do_randomize_participant,
    do_release_randomization_list,
    list_text,
    verify_randomization_list,
)
from trialkit.web.trial.actions.study import do_load_protocol
from trialkit.web.trial.list_digest import digest_matches, list_digest
from trialkit.web.trial.models import AuditEvent, RandomizationList, RandomizationSlot
from trialkit.web.trial.study import current_study, protocol_of

pytestmark = pytest.mark.protocols("randomized")


def _allocated(slot: RandomizationSlot) -> str:
    """What the slot allocates: a sequence in a crossover part, else an arm."""
    return slot.treatment_sequence or slot.arm


def _units(trial) -> set[str]:
    """The arms, or in a crossover part the sequences, participants are randomized to."""
    part = trial.randomized_part
    return {s.id for s in part.sequences} if part.is_crossover else set(part.arms)


def test_only_the_list_manager_generates_and_releases_the_list(trial, team):
    for role in (r.id for r in trial.protocol.roles if "manage_randomization" not in r.can):
        with pytest.raises(NotPermittedError):
            do_generate_randomization_list(actor=team.actor(role))
    do_generate_randomization_list(actor=team.statistician)
    with pytest.raises(NotPermittedError):
        do_release_randomization_list(actor=team.coordinator)


def _seeds_given_to_numpy(monkeypatch) -> list[object]:
    seen: list[object] = []
    real = np.random.default_rng
    monkeypatch.setattr(np.random, "default_rng", lambda seed=None: seen.append(seed) or real(
        seed))
    return seen


def test_arms_come_from_one_server_seed_and_the_numbers_and_kits_from_another(
        trial, team, monkeypatch):
    """Nobody passes a seed: the server draws two of 128 bits, one for the concealed list (the
    core generator's arms and blocks) and one for what blinded staff read (numbers, kit
    codes), so the readable labels are no output of the generator that made the arms."""
    seeds = _seeds_given_to_numpy(monkeypatch)
    do_generate_randomization_list(actor=team.statistician)
    concealed, readable = seeds
    assert concealed != readable and min(concealed, readable).bit_length() > 64
    protocol = protocol_of(current_study())
    core = generate_list(protocol, np.random.Generator(np.random.PCG64(concealed)))
    stored = sorted(RandomizationSlot.objects.all(), key=lambda r: r.pk)
    assert [(_allocated(r), r.sequence, r.block, r.block_size) for r in stored] == [
        (s.allocation_unit, s.sequence, s.block, s.block_size) for s in core.slots]
    labels = np.random.Generator(np.random.PCG64(readable))
    width = max(4, len(str(len(stored))))
    assert [r.number for r in stored] == [f"{int(n):0{width}d}" for n in
                                          labels.permutation(len(stored)) + 1]
    assert tuple(r.kit_code for r in stored) == draw_kit_codes(
        protocol.randomization.kit_code_prefix, len(stored), labels)
    assert not {r.kit_code for r in stored} & {s.kit_code for s in core.slots}


def test_the_released_digest_is_keyed_and_the_list_can_no_longer_change(trial, team, settings):
    settings.TRIALKIT_LIST_DIGEST_KEY = "a key the database does not hold"
    do_generate_randomization_list(actor=team.statistician)
    replaced = set(RandomizationSlot.objects.values_list("kit_code", flat=True))
    do_generate_randomization_list(actor=team.statistician)  # replaced before release
    rand_list = RandomizationList.objects.get()
    assert not replaced & set(rand_list.slots.values_list("kit_code", flat=True))
    protocol = protocol_of(current_study())
    digest = do_release_randomization_list(actor=team.statistician)
    rand_list.refresh_from_db()
    text = list_text(rand_list, protocol)
    assert digest == rand_list.digest == hmac.new(
        b"a key the database does not hold", text.encode(), hashlib.sha256).hexdigest()
    assert digest != hashlib.sha256(text.encode()).hexdigest()
    assert rand_list.slots.count() >= trial.randomized_part.enrolment_target
    assert {_allocated(s) for s in rand_list.slots.all()} == _units(trial)
    assert verify_randomization_list(protocol, current_study())
    settings.TRIALKIT_LIST_DIGEST_KEY = "another key"
    assert not verify_randomization_list(protocol, current_study())
    settings.TRIALKIT_LIST_DIGEST_KEY = "a key the database does not hold"
    with pytest.raises(StateConflictError, match="live"):
        do_generate_randomization_list(actor=team.statistician)
    with pytest.raises(StateConflictError, match="live already"):
        do_release_randomization_list(actor=team.statistician)
    first = rand_list.slots.order_by("pk").first()
    other = next(u for u in sorted(_units(trial)) if u != _allocated(first))
    field = "treatment_sequence" if first.treatment_sequence else "arm"
    RandomizationSlot.objects.filter(pk=first.pk).update(**{field: other})
    assert not verify_randomization_list(protocol, current_study())
    generated = AuditEvent.objects.filter(action="generate_randomization_list").last()
    assert set(generated.new) == {"part", "method", "slots", "replaced_unreleased_list"}
    released = AuditEvent.objects.get(action="release_randomization_list")
    assert released.new == {"part": rand_list.part, "digest": digest}


def test_without_a_key_of_its_own_the_digest_follows_the_secret_key_and_its_fallbacks(
        settings):
    settings.TRIALKIT_LIST_DIGEST_KEY = ""
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "first secret key " * 4, []
    digest = list_digest("the list")
    assert digest_matches("the list", digest) and not digest_matches("another list", digest)
    assert digest != hmac.new(settings.SECRET_KEY.encode(), b"the list",
                              hashlib.sha256).hexdigest()  # a derived key, not SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "second secret key " * 4, []
    assert not digest_matches("the list", digest)
    settings.SECRET_KEY_FALLBACKS = ["first secret key " * 4]
    assert digest_matches("the list", digest) and list_digest("the list") != digest
    plain = "sha256:" + hashlib.sha256(b"the list").hexdigest()  # released before keying
    assert digest_matches("the list", plain) and not digest_matches("another list", plain)


def test_randomization_is_refused_before_consent_and_before_confirmed_eligibility(
        trial, team, clock):
    opened = open_randomized_part(team, clock)
    registered = do_register_candidate("R-000", trial.site, actor=team.coordinator)
    with pytest.raises(StateConflictError, match="informed consent before randomizing"):
        do_randomize_participant(registered, actor=team.coordinator)
    unconsented = register_and_screen("R-001", team, clock, opened.day0)
    if unconsented.eligibility["undecided"]:
        with pytest.raises(StateConflictError, match="not confirmed eligible"):
            do_randomize_participant(unconsented, actor=team.coordinator)
        assert not RandomizationSlot.objects.filter(participant__isnull=False).exists()
        assert not AuditEvent.objects.filter(action="randomize_participant").exists()
    with pytest.raises(NotPermittedError):
        do_randomize_participant(unconsented, actor=team.statistician)


def _stratum_changes(trial) -> tuple[dict, list[list[str]]]:
    """Screening changes that put a participant in the last level of every factor, and the
    stratum those levels make."""
    strata = trial.protocol.randomization.strata
    changes: dict[str, dict[str, str]] = {}
    for factor in strata:
        changes.setdefault(factor.form, {})[factor.item] = factor.levels[-1]
    return changes, [[factor.id, factor.levels[-1]] for factor in strata]


def test_each_participant_takes_the_next_slot_of_their_stratum_once(trial, team, clock):
    opened = open_randomized_part(team, clock)
    changes, stratum = _stratum_changes(trial)
    people = [eligible_and_consented(f"R-S{n}", team, clock, opened.day0, changes)
              for n in range(3)]
    results = [do_randomize_participant(p, actor=team.coordinator) for p in people]
    slots = [RandomizationSlot.objects.get(participant=p) for p in people]
    assert [s.sequence for s in slots] == [1, 2, 3]
    assert {s.stratum for s in slots} == {json.dumps(stratum)}
    assert [r.randomization_number for r in results] == [s.number for s in slots]
    assert [do_randomize_participant(p, actor=team.coordinator) for p in people] == [
        type(r)(r.screening_number, r.randomization_number, r.kit_code, False) for r in results]
    events = AuditEvent.objects.filter(action="randomize_participant")
    assert events.count() == 3
    concealed = _units(trial) | set(trial.randomized_part.arms)
    assert not any(concealed & set(map(str, e.new.values())) for e in events)


@pytest.mark.protocols("randomized", "strata")
def test_minimisation_selected_by_the_protocol_allocates_reproducibly(trial, team, clock,
                                                                      admin, tmp_path):
    document = yaml.safe_load(trial.path.read_text(encoding="utf-8"))
    document["randomization"]["method"] = "minimisation"
    document["randomization"].setdefault("minimisation", {"probability": 0.8})
    amended = tmp_path / "minimisation.yaml"
    amended.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
                       encoding="utf-8")
    do_load_protocol(amended, actor=admin)
    opened = open_randomized_part(team, clock)
    assert RandomizationList.objects.get().method == "minimisation"
    factor = trial.protocol.randomization.strata[0]
    people = [eligible_and_consented(f"R-M{n}", team, clock, opened.day0, {
        factor.form: {factor.item: factor.levels[n % len(factor.levels)]}}) for n in range(8)]
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
