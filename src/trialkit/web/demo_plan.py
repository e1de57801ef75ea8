"""When each demo person joins which part (see trialkit.web.demo_trial): the parts in the
protocol's order, one person after another in each — as a sequential part's rule allows, or
every ``spacing`` days of the story — and a part a committee opens a week after the day its
chair can sign the opening decision (the reviewed part's last participant at the end of the
review period)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.design import Part
from trialkit.web.demo_story import Person, Story

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Joining:
    """A person of the story with the part they join and their planned Day 0."""

    person: Person
    part: Part
    day0: dt.date


class Layout:
    def __init__(self, protocol: Protocol, story: Story, limit: int | None) -> None:
        self.protocol, self.story, self.limit = protocol, story, limit

    def joinings(self, start: dt.date) -> list[Joining]:
        """Every person's part and Day 0, the first part's first Day 0 on ``start``."""
        joinings: list[Joining] = []
        for part in self.protocol.design.parts:
            first = start
            if any(g.opens_part == part.id for g in self.protocol.gates.committee):
                first = self.decisions(joinings)[part.id] + 7 * DAY
            step = self._step(part.id)
            joinings += [Joining(p, part, first + k * step)
                         for k, p in enumerate(self._people(part))]
        return joinings

    def decisions(self, joinings: list[Joining]) -> dict[str, dt.date]:
        """Part id → the day its committee signs the opening decision."""
        decisions = {}
        for gate in self.protocol.gates.committee:
            reviewed = [j.day0 for j in joinings if j.part.id == gate.reviews_part]
            if reviewed:
                decisions[gate.opens_part] = max(reviewed) + (
                    self._day_of(gate.after_administration)
                    + gate.days_after_administration) * DAY
        return decisions

    def _people(self, part: Part) -> list[Person]:
        """The story's people of the part (a few generated ones without a story); ``limit``
        caps a part no committee reviews (a reviewed part must be complete for its gate)."""
        first = self.protocol.design.parts[0].id
        people = [p for p in self.story.people if (p.part or first) == part.id]
        if not self.story.people:
            people = [Person(key=f"{part.id}-{n + 1}", part=part.id)
                      for n in range(min(part.enrolment_target, 8))]
        reviewed = {g.reviews_part for g in self.protocol.gates.committee}
        return people if self.limit is None or part.id in reviewed else people[:self.limit]

    def _step(self, part_id: str) -> dt.timedelta:
        gate = next((g for g in self.protocol.gates.sequential_enrolment
                     if g.part == part_id), None)
        if gate is None:
            return self.story.spacing * DAY
        last = max(self._day_of(a) for a in gate.previous_must_have_received)
        return (last + gate.wait_days) * DAY

    def _day_of(self, administration: str) -> int:
        return self.protocol.visit(self.protocol.administration(administration).visit).day or 0
