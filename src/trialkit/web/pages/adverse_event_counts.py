"""Adverse events counted by grade (or severity) and seriousness, pooled over arms.

The grade is whatever the protocol's adverse-event form records: its toxicity grade (CDISC
AETOXGR, e.g. CTCAE) where it has one, else its severity (AESEV). The categories are the
item's code list in order, each in words, so a grade nobody has had yet still shows as zero.
Only forms the actor reads are counted, at the actor's sites (``safety_report`` reads the same
versions for its listing). Nothing is split by arm: a pooled count names no allocation.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import F

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Item
from trialkit.web.pages.item_values import value_in_words
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.forms import readable_form_ids
from trialkit.web.trial.gate_facts import adverse_event_forms
from trialkit.web.trial.models import FormVersion, Study
from trialkit.web.trial.scope import in_scope

GRADE_VARIABLES = ("AETOXGR", "AESEV")
"""Where an adverse-event form records how bad an event was, in order of preference."""
NOT_RECORDED = "Not recorded"


@dataclass(frozen=True)
class GradeRow:
    label: str
    serious: int
    not_serious: int

    @property
    def total(self) -> int:
        return self.serious + self.not_serious


@dataclass(frozen=True)
class AdverseEventCounts:
    heading: str
    """What the categories are, in the protocol's words ("CTCAE v5 grade", "Severity")."""
    grouped_by: str
    """"by grade" (a toxicity grade) or "by severity", for headings."""
    rows: list[GradeRow]
    reads_events: bool
    """False: the role reads no adverse-event form, so there is nothing it may count."""
    participants: int
    """Participants with at least one event."""

    @property
    def events(self) -> int:
        return sum(row.total for row in self.rows)

    @property
    def serious(self) -> int:
        return sum(row.serious for row in self.rows)


def grade_item(protocol: Protocol, form_id: str) -> Item | None:
    form = protocol.form(form_id)
    return next((item for variable in GRADE_VARIABLES
                 if (item := form.item_with("AE", variable)) is not None), None)


def grade_label(protocol: Protocol, item: Item, value: object) -> str:
    """A grade in words: "Grade 3: Severe" for a toxicity grade, the decode for a severity."""
    words = value_in_words(protocol, item, value)
    graded = item.cdisc is not None and item.cdisc.variable == "AETOXGR"
    return f"Grade {value}: {words}" if graded and words != str(value) else \
        f"Grade {value}" if graded else words


def adverse_events_by_grade(actor: Actor, study: Study, protocol: Protocol) -> AdverseEventCounts:
    readable = readable_form_ids(actor)
    forms = {form_id: items for form_id, items in adverse_event_forms(protocol).items()
             if form_id in readable}
    grades = {form_id: grade_item(protocol, form_id) for form_id in forms}
    versions = in_scope(actor, FormVersion.objects.filter(
        record__participant__study__protocol_id=study.protocol_id, record__form_id__in=forms,
        number=F("record__latest_version")), "record__participant").values_list(
        "record__form_id", "record__participant_id", "data")
    serious, not_serious, people = Counter[str](), Counter[str](), set[int]()
    for form_id, participant_id, data in versions:
        item = grades[form_id]
        value = data.get(item.id) if item is not None else None
        label = NOT_RECORDED if item is None or value in (None, "") else \
            grade_label(protocol, item, value)
        (serious if forms[form_id].is_serious(data) else not_serious)[label] += 1
        people.add(participant_id)
    labels = _categories(protocol, [g for g in grades.values() if g is not None])
    labels += sorted((set(serious) | set(not_serious)) - set(labels) - {NOT_RECORDED})
    if NOT_RECORDED in serious or NOT_RECORDED in not_serious:
        labels.append(NOT_RECORDED)
    found = [g for g in grades.values() if g is not None]
    headings = list(dict.fromkeys(g.label for g in found))
    graded = not found or any(g.cdisc is not None and g.cdisc.variable == "AETOXGR"
                              for g in found)
    return AdverseEventCounts(" / ".join(headings) or "Grade",
                              "by grade" if graded else "by severity",
                              [GradeRow(label, serious[label], not_serious[label])
                               for label in labels], bool(forms), len(people))


def _categories(protocol: Protocol, items: list[Item]) -> list[str]:
    """Every grade the forms' code lists offer, in their order (each once)."""
    labels: list[str] = []
    for item in items:
        if item.codelist is None:
            continue
        for entry in protocol.codelist(item.codelist).items:
            labels.append(grade_label(protocol, item, entry.code))
    return list(dict.fromkeys(labels))
