"""Every gate of a protocol that applies to one action, combined into one verdict.

These are the questions the trial-operations server asks before enabling a button: may this
participant enrol, receive this administration, be randomized? Each answer lists every check
that applies (sequential rule, committee gate, pause, cap, and in a crossover part the period
and washout of the administration), met or not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from trialkit.core.protocol.model import Protocol
from trialkit.core.scheduling.checks import (
    Verdict,
    check_that,
    combine,
    gettext_noop,
    named,
    worded,
)
from trialkit.core.scheduling.gates import (
    CommitteeDecision,
    ParticipantDosing,
    committee_gate,
    enrolment_cap,
    pause_state,
    sequential_enrolment,
)
from trialkit.core.scheduling.periods import PeriodFacts, period_checks


def pauses(protocol: Protocol, decisions: Sequence[CommitteeDecision], on: date) -> list[Verdict]:
    return [pause_state(gate, decisions, on) for gate in protocol.gates.committee]


def may_enrol(protocol: Protocol, part_id: str, enrolled: int,
              decisions: Sequence[CommitteeDecision], on: date) -> Verdict:
    """May one more participant enrol in ``part_id`` on ``on``? (cap and pauses)"""
    part = protocol.part(part_id)
    return combine(worded(gettext_noop("enrol in %(part)s"), part=part.name),
                   [enrolment_cap(part, enrolled), *pauses(protocol, decisions, on)])


def may_dose(protocol: Protocol, part_id: str, administration_id: str,
             earlier: Sequence[ParticipantDosing], decisions: Sequence[CommitteeDecision],
             on: date, periods: PeriodFacts | None = None,
             own: ParticipantDosing | None = None) -> Verdict:
    """May the participant after ``earlier`` (in enrolment order) receive the administration?

    An administration given in a period of a crossover part also needs ``periods``, the
    participant's own period facts (period reached, washout passed). ``own``, the participant's
    own facts, holds a dose back while one of their own serious adverse events is open: a new
    exposure on top of an unresolved serious event is the investigator's call, made explicitly.
    """
    part = protocol.part(part_id)
    administration = protocol.administration(administration_id)
    names = names_of(protocol)
    sequential = [sequential_enrolment(rule, earlier, on, names)
                  for rule in protocol.gates.sequential_enrolment
                  if rule.part == part_id and rule.gated_administration == administration_id]
    crossover: list[Verdict] = []
    if part.is_crossover and administration.period in {p.id for p in part.periods}:
        if periods is None:
            raise ValueError(f"periods: {administration_id} is given in a period of "
                             f"{part_id}; the participant's period facts are needed")
        crossover.append(period_checks(protocol, part, administration, periods, on, names))
    held = [] if own is None else [own_open_serious_events(own)]
    return combine(worded(gettext_noop("give the %(administration)s in %(part)s"),
                          administration=names[administration_id], part=names[part_id]),
                   [*sequential, *crossover, *held, *pauses(protocol, decisions, on)])


def own_open_serious_events(own: ParticipantDosing) -> Verdict:
    """No further dose while the participant's own serious adverse event is still open."""
    count = own.open_serious_adverse_events
    return named(worded(gettext_noop("the participant's own safety")), (check_that(
        "own.no_open_sae", count == 0, gettext_noop(
            "Participant %(participant)s has %(count)s open serious adverse event(s); none may "
            "be open when a dose is given."), participant=own.participant_id, count=count),))


def may_randomize(protocol: Protocol, part_id: str,
                  participants_by_part: Mapping[str, Sequence[ParticipantDosing]],
                  decisions: Sequence[CommitteeDecision], on: date) -> Verdict:
    """May ``part_id`` randomize on ``on``? Every committee gate opening it, and the pauses.

    ``participants_by_part`` holds, for each reviewed part, its enrolled participants.
    """
    part = protocol.part(part_id)
    if part.allocation != "RANDOMIZED":
        raise ValueError(f"part_id: part '{part_id}' is not randomized")
    gates = [
        committee_gate(gate, participants_by_part.get(gate.reviews_part, ()),
                       protocol.part(gate.reviews_part).enrolment_target, decisions, on,
                       names_of(protocol))
        for gate in protocol.gates.committee if gate.opens_part == part_id
    ]
    return combine(worded(gettext_noop("randomize in %(part)s"), part=names_of(protocol)[part_id]),
                   [*gates, *pauses(protocol, decisions, on)])


def names_of(protocol: Protocol) -> dict[str, str]:
    """Part, period and administration ids → the names people read in a sentence.

    An administration's name starts in lower case, for the middle of a sentence; the sentences
    put the article in their templates ("the %(administration)s"), so a language without
    articles translates without one.
    """
    names = {part.id: part.name for part in protocol.design.parts}
    names.update({period.id: period.name for part in protocol.design.parts
                  for period in part.periods})
    names.update({adm.id: adm.name[:1].lower() + adm.name[1:]
                  for adm in protocol.design.administrations})
    names.update({role.id: role.name for role in protocol.roles})
    return names
