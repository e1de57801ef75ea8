"""Exchange rows written by hand for the SDTM special-purpose, trial-design and disposition
tests: a few participants of any protocol, each with the doses their part plans at the
schedule's days, so each test states only what it is about."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from trialkit.core.adam.rows import Allocation, FormRow, ParticipantRow, TrialRows
from trialkit.core.exchange import (
    DoseRow,
    ExchangeRows,
    RandomizationRow,
    ScreeningRow,
    SiteRow,
    VersionRow,
    VisitRow,
)
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.design import Part
from trialkit.core.sdtm.common import Context

START = dt.date(2025, 3, 3)
"""The protocol's day 0 for every participant."""
SITE = "SITE1"
CONSENT = START - dt.timedelta(days=40)


def on(protocol_day: int) -> dt.date:
    return START + dt.timedelta(days=protocol_day)


def dose_day(protocol: Protocol, administration: str) -> dt.date:
    day = protocol.visit(protocol.administration(administration).visit).day
    assert day is not None
    return on(day)


def course(protocol: Protocol, part: Part) -> tuple[str, ...]:
    """Every administration a participant of ``part`` receives, in date order."""
    ids = [a.id for a in protocol.design.administrations if part.is_crossover or a.period is None]
    return tuple(sorted(ids, key=lambda a: dose_day(protocol, a)))


def allocation(part: Part, index: int = -1) -> Allocation:
    if part.is_crossover:
        return Allocation(sequence=part.sequences[index].id)
    return Allocation(arm=part.arms[index])


def randomized_part(protocol: Protocol) -> Part:
    return next((p for p in protocol.design.parts if p.allocation == "RANDOMIZED"),
                protocol.design.parts[0])


@dataclass
class Person:
    key: int
    part: str = ""
    allocation: Allocation | None = None
    given: tuple[str, ...] = ()
    status: str = "enrolled"
    consent: dt.date | None = CONSENT
    ended_on: dt.date | None = None
    end_reason: str = ""
    randomized: bool = False

    def row(self) -> ParticipantRow:
        enrolled = on(-1) if self.part else None
        return ParticipantRow(self.key, f"S{self.key:03d}", SITE, self.status, self.part,
                              self.consent, enrolled, self.ended_on, self.end_reason)


def treated(protocol: Protocol, key: int, part: Part | None = None, **kwargs: object) -> Person:
    """A participant of ``part`` (the randomized one by default) who received every dose."""
    part = part or randomized_part(protocol)
    values: dict[str, object] = {"part": part.id, "allocation": allocation(part),
                                 "given": course(protocol, part),
                                 "randomized": part.allocation == "RANDOMIZED"}
    values.update(kwargs)
    return Person(key, **values)  # type: ignore[arg-type]


@dataclass
class Extra:
    forms: list[FormRow] = field(default_factory=list)
    versions: list[VersionRow] = field(default_factory=list)
    visits: list[VisitRow] = field(default_factory=list)
    screenings: list[ScreeningRow] = field(default_factory=list)


def exchange(protocol: Protocol, people: Iterable[Person], *, blinded: bool = False,
             extra: Extra | None = None) -> ExchangeRows:
    people = list(people)
    extra = extra or Extra()
    doses = tuple(DoseRow(p.key, a, dt.datetime.combine(dose_day(protocol, a), dt.time(9, 30),
                                                        dt.UTC))
                  for p in people for a in p.given)
    allocations = None if blinded else {p.key: p.allocation for p in people
                                        if p.allocation is not None}
    randomizations = tuple(RandomizationRow(p.key, p.part, dt.datetime.combine(
        on(-1), dt.time(8), dt.UTC), f"R{p.key:03d}") for p in people if p.randomized)
    trial = TrialRows(protocol.identity.id, on(1000), tuple(p.row() for p in people),
                      forms=tuple(extra.forms), allocations=allocations)
    site = SiteRow(SITE, "Site one", protocol.identity.sites[0].country)
    return ExchangeRows(trial, sites=(site,), visits=tuple(extra.visits),
                        versions=tuple(extra.versions), doses=doses,
                        randomizations=randomizations, screenings=tuple(extra.screenings))


def context(protocol: Protocol, people: Iterable[Person], *, blinded: bool = False,
            extra: Extra | None = None) -> Context:
    return Context(protocol, exchange(protocol, people, blinded=blinded, extra=extra))
