"""The randomization list and allocation, with concealment and no slot ever used twice.

- The unblinded statistician generates the list with the protocol's method: stratified permuted
  blocks (every arm fixed in advance) or Pocock–Simon minimisation (a pool of randomization
  numbers and kit codes, each with a seeded draw; the arm is chosen on allocation). Nobody
  chooses the seed: the server draws two of 128 bits each from the operating system
  (``secrets``), one for what is concealed (arms, blocks, minimisation draws) and one for what
  sites and blinded staff read (randomization numbers, kit codes), so that nothing they read is
  an output of the generator that made the arms. Neither seed is stored or shown; the stored
  list is the record (docs/security.md, "Randomization list secrecy").
- Releasing the list records its keyed digest (``list_digest``: HMAC-SHA256 of the list's
  canonical text under a key outside the database); from then on it cannot be replaced, and
  ``verify_randomization_list`` recomputes the digest from the stored rows.
- A crossover part randomizes to a sequence of arms (the protocol's ratio names sequences): the
  slot then holds ``treatment_sequence`` and no arm (``allocation_unit`` reads either).
- Randomizing a participant locks the participant (a repeated request returns the same
  allocation), then the list row, so allocations on one list are serialised and two requests
  never read the same free slot; the slot is then taken with a conditional UPDATE (``participant
  IS NULL``) and the one-to-one column forbids a second slot per participant in the database.

Audit events of these actions never carry an arm, a sequence, a seed or an unkeyed digest:
blinded roles read the trail.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext_lazy as _

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.gates import Randomization
from trialkit.core.randomization import (
    AllocationRefusedError,
    EnrolmentFacts,
    Slot,
    StratumKey,
    allocate,
    allocation_unit,
    generate_list,
    minimise_for,
    stratum_key,
    stratum_keys,
    tally,
)
from trialkit.core.randomization import RandomizationList as CoreList
from trialkit.core.randomization.kits import draw_kit_codes
from trialkit.core.scheduling import ParticipantDosing, Verdict, may_randomize
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import (
    Actor,
    StateConflictError,
)
from trialkit.web.trial.actions.kernel import (
    RECORDS_STUDY_DATA,
    Guard,
    action,
    locked_participant,
    nothing_changed,
    record,
)
from trialkit.web.trial.actions.participants import (
    Serialised,
    enrol,
    make_visits,
    participant_checks,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.gate_facts import committee_decisions, dosings_of, today
from trialkit.web.trial.list_digest import digest_matches, list_digest
from trialkit.web.trial.models import (
    Participant,
    RandomizationList,
    RandomizationSlot,
    Study,
)
from trialkit.web.trial.screening_record import screening_forms
from trialkit.web.trial.study import current_study
from trialkit.web.trial.wording import reasons_of

SEED_BITS = 128
"""Each list seed's size: beyond any search, and accepted whole by ``numpy.random.default_rng``."""


@dataclass(frozen=True)
class RandomizationResult:
    """What the site sees: no arm."""

    screening_number: str
    randomization_number: str
    kit_code: str
    new: bool
    """False when the participant had already been randomized (a repeated request)."""


@action(AuditAction.GENERATE_RANDOMIZATION_LIST, permission="manage_randomization",
        guards=(Guard.STUDY_UNLOCKED,))
def do_generate_randomization_list(*, actor: Actor) -> RandomizationList:
    """Generate (or, before release, regenerate) the list of the protocol's randomized part,
    from seeds the server draws (never chosen, never kept)."""
    protocol, study = actor.protocol(), current_study()
    randomization = _randomization(protocol)
    existing = RandomizationList.objects.select_for_update(of=("self",)).filter(
        study__protocol_id=study.protocol_id, part=randomization.part).first()
    if existing is not None and existing.live_at is not None:
        raise StateConflictError(_("the list is live and can no longer change"))
    if existing is not None:
        existing.slots.all().delete()
        existing.delete()
    rand_list = RandomizationList.objects.create(
        study=study, part=randomization.part, method=randomization.method,
        generated_by=actor.name, generated_at=clock.now())
    concealed, readable = np.random.default_rng(_fresh_seed()), np.random.default_rng(
        _fresh_seed())
    RandomizationSlot.objects.bulk_create(
        _slots(rand_list, protocol, randomization, concealed, readable))
    record(actor, AuditAction.GENERATE_RANDOMIZATION_LIST, rand_list,
           new={"part": randomization.part, "method": randomization.method,
                "slots": rand_list.slots.count(),
                "replaced_unreleased_list": existing is not None})
    return rand_list


@action(AuditAction.RELEASE_RANDOMIZATION_LIST, permission="manage_randomization",
        guards=(Guard.STUDY_UNLOCKED,))
def do_release_randomization_list(*, actor: Actor) -> str:
    """Make the list live; returns the keyed digest recorded for it."""
    protocol = actor.protocol()
    rand_list = RandomizationList.objects.select_for_update(of=("self",)).filter(
        study__protocol_id=current_study().protocol_id,
        part=_randomization(protocol).part).first()
    if rand_list is None:
        raise StateConflictError(_("there is no list to release"))
    if rand_list.live_at is not None:
        raise StateConflictError(_("the list is live already"))
    rand_list.digest = list_digest(list_text(rand_list, protocol))
    rand_list.live_at = clock.now()
    rand_list.save(update_fields=["digest", "live_at"])
    record(actor, AuditAction.RELEASE_RANDOMIZATION_LIST, rand_list,
           new={"part": rand_list.part, "digest": rand_list.digest})
    return rand_list.digest


def verify_randomization_list(protocol: Protocol, study: Study) -> bool:
    """Whether the stored live list still has the digest recorded at release."""
    rand_list = RandomizationList.objects.filter(study__protocol_id=study.protocol_id,
                                                 live_at__isnull=False).first()
    return rand_list is not None and digest_matches(list_text(rand_list, protocol),
                                                    rand_list.digest)


@action(AuditAction.RANDOMIZE_PARTICIPANT, permission="randomize", guards=RECORDS_STUDY_DATA,
        subject="participant", doing=_("randomizing them"))
def do_randomize_participant(participant: Participant, *, actor: Actor) -> RandomizationResult:
    participant = locked_participant(participant)
    held = RandomizationSlot.objects.filter(participant=participant).first()
    if held is not None:  # asked again (a retry): the same answer, nothing written
        nothing_changed()
        return RandomizationResult(participant.screening_number, held.number, held.kit_code, False)
    protocol, study = actor.protocol(), current_study()
    randomization = _randomization(protocol)
    # Everything that does not depend on the list is read before taking the list lock, which
    # serialises every randomization: the participant's strata and checks, and the gates
    # (the reviewed parts' doses, committee decisions; none of them changes by randomizing).
    levels = stratification_levels(participant, protocol)
    decisions = committee_decisions(study, protocol)
    gate = may_randomize(protocol, randomization.part,
                         _reviewed_parts(study, protocol, randomization.part), decisions,
                         today())
    checks = participant_checks(participant, study)
    # The participant's schedule is theirs alone (their row is locked): written before the
    # list lock too. A refusal below rolls it back with the rest.
    visits_made = make_visits(participant, protocol, checks)
    rand_list = RandomizationList.objects.select_for_update(of=("self",)).filter(
        study__protocol_id=study.protocol_id, part=randomization.part,
        live_at__isnull=False).first()
    if rand_list is None:
        raise StateConflictError(_("randomization has not started: no list is live"))
    slot, unit, decision = _choose(rand_list, randomization, participant, levels, protocol,
                                   gate, checks)
    # The list lock serialises enrolment in the part: enrol need not lock the study row.
    enrol(participant, randomization.part, actor=actor, gates=(),
          serialised=Serialised(study=study, checks=checks, decisions=decisions,
                                visits_made=visits_made))
    taken = RandomizationSlot.objects.filter(pk=slot.pk, participant__isnull=True).update(
        participant=participant, allocated_at=clock.now(), levels=levels, decision=decision,
        **_allocated(protocol, randomization.part, unit))
    if taken != 1:  # the list lock makes this unreachable; the guard keeps the invariant local
        raise StateConflictError(_("the slot was taken concurrently; try again"))
    record(actor, AuditAction.RANDOMIZE_PARTICIPANT, participant,
           new={"randomization_number": slot.number, "kit_code": slot.kit_code,
                "stratum": slot.stratum if rand_list.method == "permuted_blocks" else "",
                "list_digest": rand_list.digest})
    return RandomizationResult(participant.screening_number, slot.number, slot.kit_code, True)


def _reviewed_parts(study: Study, protocol: Protocol,
                    part_id: str) -> dict[str, list[ParticipantDosing]]:
    """The doses of the participants of the parts whose review opens ``part_id`` (all that
    ``may_randomize`` reads), not of every participant enrolled."""
    reviewed = {g.reviews_part for g in protocol.gates.committee if g.opens_part == part_id}
    if not reviewed:
        return {}
    # In enrolment order within each part, as gate_facts.dosing_by_part lists them.
    enrolled = list(Participant.objects.filter(
        study__protocol_id=study.protocol_id, part__in=reviewed,
        sequence_in_part__isnull=False).order_by("part", "sequence_in_part"))
    by_part: dict[str, list[ParticipantDosing]] = {part: [] for part in reviewed}
    for participant, dosing in zip(enrolled, dosings_of(enrolled, protocol), strict=True):
        by_part[participant.part].append(dosing)
    return by_part


def _allocated(protocol: Protocol, part_id: str, unit: str) -> dict[str, str]:
    """The slot columns for what was allocated: a sequence never goes in ``arm``."""
    if allocation_unit(protocol.part(part_id)) == "sequence":
        return {"arm": "", "treatment_sequence": unit}
    return {"arm": unit, "treatment_sequence": ""}


def stratification_levels(participant: Participant, protocol: Protocol) -> dict[str, str]:
    """Each factor's level from the screening form item the protocol names for it."""
    forms = screening_forms(participant, protocol)
    levels: dict[str, str] = {}
    for factor in _randomization(protocol).strata:
        value = next((d.get(factor.item) for d in forms.get(factor.form, ())
                      if d.get(factor.item) is not None), None)
        if value not in factor.levels:
            raise StateConflictError(_("stratification factor %(factor)s is not recorded "
                                       "(%(form)s.%(item)s)"), field=factor.id,
                                     factor=factor.id, form=factor.form, item=factor.item)
        levels[factor.id] = str(value)
    return levels


def _randomization(protocol: Protocol) -> Randomization:
    if protocol.randomization is None:
        raise StateConflictError(_("the protocol has no randomization"))
    return protocol.randomization


def _choose(rand_list: RandomizationList, randomization: Randomization, participant: Participant,
            levels: dict[str, str], protocol: Protocol, gate: Verdict,
            checks: Verdict) -> tuple[RandomizationSlot, str, dict[str, object] | None]:
    """The slot the core allocation rule picks (after every check), what it allocates (an arm,
    or a crossover sequence) and the minimisation decision."""
    rows = list(rand_list.slots.order_by("stratum", "sequence"))
    core = _core_list(rand_list, rows, protocol)
    minimising = rand_list.method == "minimisation"
    stratum: StratumKey = () if minimising else stratum_key(randomization, levels)
    allocated = {str(r.participant_id): r.number for r in rows if r.participant_id is not None}
    facts = EnrolmentFacts(eligible=checks.check("eligible").met,
                           consented=checks.check("consented").met)
    try:
        chosen = allocate(core, str(participant.pk), stratum, allocated, facts, gates=[gate])
    except AllocationRefusedError as exc:
        raise StateConflictError(_("randomization refused: %(reasons)s"), field="participant",
                                 reasons=reasons_of(exc.verdict.unmet)) from None
    slot = next(r for r in rows if r.number == chosen.slot.randomization_number)
    if not minimising:
        return slot, slot.allocation_unit, None
    counts = tally((r.levels, r.allocation_unit) for r in rows if r.participant_id is not None)
    assert slot.draw_seed is not None  # every minimisation slot is generated with one
    decision = minimise_for(randomization, counts, levels, np.random.default_rng(slot.draw_seed))
    return slot, decision.arm, {"explanation": decision.explanation(), "draw": decision.draw,
                                "probabilities": dict(decision.probabilities)}


def _fresh_seed() -> int:
    """A seed of ``SEED_BITS`` from the operating system's CSPRNG: too many to guess."""
    return secrets.randbits(SEED_BITS)


def _slots(rand_list: RandomizationList, protocol: Protocol, randomization: Randomization,
           concealed: np.random.Generator,
           readable: np.random.Generator) -> list[RandomizationSlot]:
    """The list's rows: arms, blocks and minimisation draws from ``concealed``; randomization
    numbers and kit codes, which blinded staff read, from ``readable`` (the core generator's own
    numbers and kit codes, drawn from ``concealed``, are replaced)."""
    if randomization.method == "permuted_blocks":
        core = generate_list(protocol, concealed).slots
        numbers, kits = _labels(len(core), randomization.kit_code_prefix, readable)
        return [RandomizationSlot(randomization_list=rand_list, stratum=_stratum_text(s.stratum),
                                  sequence=s.sequence, number=number, arm=s.arm,
                                  treatment_sequence=s.treatment_sequence, kit_code=kit,
                                  block=s.block, block_size=s.block_size)
                for s, number, kit in zip(core, numbers, kits, strict=True)]
    size = randomization.list_size_per_stratum or protocol.part(randomization.part).enrolment_target
    seeds = concealed.integers(0, 2**62, size=size)
    numbers, kits = _labels(size, randomization.kit_code_prefix, readable)
    return [RandomizationSlot(randomization_list=rand_list, stratum=_stratum_text(()),
                              sequence=i + 1, number=numbers[i], kit_code=kits[i],
                              draw_seed=int(seeds[i]))
            for i in range(size)]


def _labels(count: int, prefix: str,
            rng: np.random.Generator) -> tuple[list[str], tuple[str, ...]]:
    """Randomization numbers (a permutation of 1..count, zero-padded) and distinct kit codes."""
    width = max(4, len(str(count)))
    numbers = [f"{int(n):0{width}d}" for n in rng.permutation(count) + 1]
    return numbers, draw_kit_codes(prefix, count, rng)


def _stratum_text(stratum: StratumKey) -> str:
    return json.dumps([list(pair) for pair in stratum], ensure_ascii=False)


def _core_list(rand_list: RandomizationList, rows: list[RandomizationSlot],
               protocol: Protocol) -> CoreList:
    randomization = _randomization(protocol)
    minimising = rand_list.method == "minimisation"
    slots = tuple(Slot(stratum=stored_stratum(r.stratum),
                       sequence=r.sequence, block=r.block, block_size=r.block_size,
                       randomization_number=r.number, arm="" if minimising else r.arm,
                       kit_code=r.kit_code,
                       treatment_sequence="" if minimising else r.treatment_sequence)
                  for r in rows)
    order = {key: i for i, key in enumerate(_strata(randomization, minimising))}
    slots = tuple(sorted(slots, key=lambda s: (order.get(s.stratum, len(order)), s.sequence)))
    return CoreList(part=rand_list.part, ratio=tuple(sorted(randomization.ratio.items())),
                    factors=tuple(s.id for s in randomization.strata), slots=slots,
                    unit=allocation_unit(protocol.part(rand_list.part)))


def stored_stratum(text: str) -> StratumKey:
    """A slot's stratum as stored (JSON pairs of factor and level) back as a key."""
    return tuple((str(factor), str(level)) for factor, level in json.loads(text))


def _strata(randomization: Randomization, minimising: bool) -> tuple[StratumKey, ...]:
    return ((),) if minimising else stratum_keys(randomization)


def list_text(rand_list: RandomizationList, protocol: Protocol) -> str:
    """The list as released, in words: the core canonical JSON (arms blank for minimisation,
    whose arms are chosen later), followed by the minimisation draw seeds. Concealed: only its
    keyed digest (``list_digest``) leaves the server."""
    rows = list(rand_list.slots.order_by("stratum", "sequence"))
    text = _core_list(rand_list, rows, protocol).canonical_json()
    if rand_list.method == "minimisation":
        text += "\n" + json.dumps([r.draw_seed for r in sorted(rows, key=lambda r: r.sequence)])
    return text


__all__ = [
    "RandomizationResult",
    "do_generate_randomization_list",
    "do_randomize_participant",
    "do_release_randomization_list",
    "list_text",
    "stratification_levels",
    "verify_randomization_list",
]
