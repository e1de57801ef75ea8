"""Adverse-event listings and tables by part, and by arm for roles that may see arms.

The listing reads the latest version of every adverse-event form (``kind: adverse_event``; its
items read by their CDISC AE variables) at the actor's sites in one query. Tables by arm take the
participant → arm map from ``access.access_arms``, which refuses blinded roles.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F

from trialkit.core.forms import AdverseEventItems
from trialkit.core.protocol import Protocol
from trialkit.web.api.redaction import redactor_for
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.gate_facts import adverse_event_forms
from trialkit.web.trial.models import FormVersion, SafetyDecision, Study
from trialkit.web.trial.scope import in_scope


@dataclass(frozen=True)
class AdverseEvent:
    record_id: int
    participant_id: int
    screening_number: str
    part: str
    term: str
    grade: str
    serious: bool
    onset: str
    end: str
    outcome: str


@dataclass(frozen=True)
class TableRow:
    group: str
    participants: int
    """Participants with at least one event."""
    events: int
    serious: int
    by_grade: list[tuple[str, int]]


def adverse_events(study: Study, protocol: Protocol, actor: Actor,
                   readable: frozenset[str] | None = None) -> list[AdverseEvent]:
    """``readable``: the form ids the reader may read (``actions.forms.readable_form_ids``);
    an adverse-event form outside them is left out of the listing and the tables."""
    forms = {form_id: items for form_id, items in adverse_event_forms(protocol).items()
             if readable is None or form_id in readable}
    versions = FormVersion.objects.filter(
        record__participant__study__protocol_id=study.protocol_id, record__form_id__in=forms,
        number=F("record__latest_version")).select_related("record__participant").order_by(
        "record__participant__screening_number", "record__repeat_index")
    versions = in_scope(actor, versions, "record__participant")
    return [_event(v, forms[v.record.form_id]) for v in versions]


def _event(version: FormVersion, items: AdverseEventItems) -> AdverseEvent:
    data, participant = version.data, version.record.participant
    return AdverseEvent(version.record_id, participant.pk, participant.screening_number,
                        participant.part, items.term_of(data), items.grade_of(data),
                        items.is_serious(data), str(data.get(items.onset) or ""),
                        items.end_of(data), items.outcome_of(data))


def table(events: list[AdverseEvent], group_of: dict[int, str],
          groups: list[str]) -> list[TableRow]:
    """Counts per group (``group_of``: participant id → group); every listed group shown."""
    people: dict[str, set[int]] = defaultdict(set)
    counts: dict[str, list[AdverseEvent]] = defaultdict(list)
    for event in events:
        group = group_of.get(event.participant_id)
        if group is None:
            continue
        people[group].add(event.participant_id)
        counts[group].append(event)
    rows = []
    for group in groups:
        grades: dict[str, int] = defaultdict(int)
        for event in counts[group]:
            grades[event.grade] += 1
        rows.append(TableRow(group, len(people[group]), len(counts[group]),
                             sum(e.serious for e in counts[group]), sorted(grades.items())))
    return rows


def table_by_part(events: list[AdverseEvent], protocol: Protocol) -> list[TableRow]:
    """Counts per part (pooled over arms: nothing here names an arm), every part shown."""
    names = {p.id: p.name for p in protocol.design.parts}
    return table(events, {e.participant_id: names.get(e.part, e.part) for e in events},
                 list(names.values()))


def decisions_shown(actor: Actor, study: Study) -> list[SafetyDecision]:
    """The committee's decisions, newest first, each rationale as this reader may see it (a
    rationale may hint at an arm: ``redaction``); the copies only, stored ones never change."""
    redactor = redactor_for(actor)
    decisions = list(SafetyDecision.objects.filter(study__protocol_id=study.protocol_id)
                     .order_by("-signed_at"))
    for decision in decisions:
        decision.rationale = redactor.text(AuditAction.SIGN_SAFETY_DECISION,
                                           decision.rationale)
    return decisions

