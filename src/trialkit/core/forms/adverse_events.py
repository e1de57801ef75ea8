"""What the items of an adverse-event form mean, read from their CDISC annotations.

A form is an adverse-event form because the protocol says so (``kind: adverse_event``); which
item holds the term, the onset, the seriousness answer, the grade or a seriousness criterion
follows from the item's CDISC AE variable (AETERM, AESTDTC, AESER, AETOXGR, AESDTH, ...),
never from its id. Loading a protocol checks that an adverse-event form annotates AETERM,
AESTDTC and AESER; the end date, the grade and the criteria are optional.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from trialkit.core.protocol.forms import Form
from trialkit.core.scoring.ctcae import Seriousness

ADVERSE_EVENT = "adverse_event"
DOMAIN = "AE"


@dataclass(frozen=True)
class AdverseEventItems:
    """Item ids of one adverse-event form, by what they mean."""

    term: str
    onset: str
    serious: str
    end: str | None
    """The resolution date (AEENDTC): an event without it is still open."""
    grade: str | None
    """The toxicity grade (AETOXGR)."""
    outcome: str | None
    """The outcome (AEOUT)."""
    criteria: tuple[tuple[Seriousness, str], ...]
    """The seriousness criteria the form asks, with their items, in ICH E2A order."""

    def term_of(self, values: Mapping[str, object], default: str = "") -> str:
        term = values.get(self.term)
        return str(term) if term not in (None, "") else default

    def grade_of(self, values: Mapping[str, object]) -> str:
        return _text(values, self.grade)

    def outcome_of(self, values: Mapping[str, object]) -> str:
        return _text(values, self.outcome)

    def end_of(self, values: Mapping[str, object]) -> str:
        return _text(values, self.end)

    def is_serious(self, values: Mapping[str, object]) -> bool:
        return values.get(self.serious) is True

    def is_open(self, values: Mapping[str, object]) -> bool:
        return self.end is None or values.get(self.end) in (None, "")

    def criteria_met(self, values: Mapping[str, object]) -> list[Seriousness]:
        return [criterion for criterion, item in self.criteria if values.get(item) is True]


def adverse_event_items(form: Form) -> AdverseEventItems | None:
    """The meaning of the form's items, or None for a form that is not an adverse-event form."""
    if form.kind != ADVERSE_EVENT:
        return None

    def item(variable: str) -> str | None:
        found = form.item_with(DOMAIN, variable)
        return found.id if found is not None else None

    term, onset, serious = item("AETERM"), item("AESTDTC"), item("AESER")
    if term is None or onset is None or serious is None:  # the loader refuses such a form
        raise ValueError(f"adverse-event form {form.id} lacks an AETERM, AESTDTC or AESER item")
    criteria = tuple((c, found) for c in Seriousness if (found := item(c.variable)) is not None)
    return AdverseEventItems(term, onset, serious, item("AEENDTC"), item("AETOXGR"),
                             item("AEOUT"), criteria)


def _text(values: Mapping[str, object], item: str | None) -> str:
    value = values.get(item) if item else None
    return "" if value is None else str(value)


def is_serious(form: Form, values: Mapping[str, object]) -> bool:
    """Whether saved values of an adverse-event form say the event is serious."""
    items = adverse_event_items(form)
    return items is not None and items.is_serious(values)
