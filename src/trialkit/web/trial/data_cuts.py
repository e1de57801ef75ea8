"""The committee's tables by arm at a data cut: counted from the allocation, protected against
small cells, frozen.

Counts are of participants of the randomized part (an open-label run-in is no comparison
group), as of the cut's date: randomized on or before it, with an adverse event that began on
or before it and not before their randomization (events before allocation say nothing about an
arm). A crossover participant is at risk in every arm whose period they entered by the date
(the first period's arm from randomization on), and an event is counted in the arm of the
period it began in (``Exposure.arm_on(onset)``); a parallel participant in their arm. Events
without a readable onset date cannot be placed in a period or before the date and are left out
(the table says how many).

The rows (participants randomized; with any adverse event; with a serious one; by worst grade)
go through ``trialkit.core.analysis.small_cells.protect`` with every earlier cut as shown, and
only what may be shown is stored. The threshold is ``settings.TRIALKIT_SMALL_CELL`` (default
5).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F

from trialkit.core.analysis.small_cells import CountRow, ShownRow, protect
from trialkit.core.protocol import Protocol
from trialkit.web.trial import access
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.gate_facts import adverse_event_forms
from trialkit.web.trial.models import DataCut, FormVersion, Study

DEFAULT_THRESHOLD = 5
ROOT = "randomized"


def threshold() -> int:
    return int(getattr(settings, "TRIALKIT_SMALL_CELL", DEFAULT_THRESHOLD))


@dataclass(frozen=True)
class _Event:
    participant_id: int
    onset: dt.date
    serious: bool
    grade: str


@dataclass(frozen=True)
class CutTables:
    arms: list[str]
    """Arm labels, the columns."""
    rows: list[ShownRow]
    undated_events: int


def tables_as_of(actor: Actor, study: Study, as_of: dt.date,
                 earlier: list[list[ShownRow]]) -> CutTables:
    """The protected tables of the randomized part as of ``as_of``."""
    arms, rows, undated = count_rows(actor, study, as_of)
    protocol = actor.protocol()
    return CutTables([protocol.arm(a).label for a in arms],
                     protect(rows, threshold(), earlier), undated)


def count_rows(actor: Actor, study: Study,
               as_of: dt.date) -> tuple[list[str], list[CountRow], int]:
    """The arm ids (the columns), the rows as counted, and the events left out for want of an
    onset date. Reads every participant's arm: ``access.access_exposure`` refuses roles that
    do not see allocation."""
    protocol = actor.protocol()
    randomized = protocol.randomization.part if protocol.randomization else ""
    arms = list(protocol.part(randomized).arms) if randomized else []
    exposures = {pid: e for pid, e in access.access_exposure(actor).items()
                 if e.part.id == randomized and e.randomized_on is not None
                 and e.randomized_on <= as_of}
    events, undated = _events(study, protocol, set(exposures))
    at_risk: dict[str, set[int]] = defaultdict(set)
    for pid, exposure in exposures.items():
        for arm in exposure.arms_by(as_of):
            at_risk[arm].add(pid)
    placed: dict[str, list[_Event]] = defaultdict(list)
    for event in events:
        exposure = exposures[event.participant_id]
        if exposure.randomized_on is not None and exposure.randomized_on <= event.onset <= as_of:
            placed[exposure.arm_on(event.onset)].append(event)
    return arms, _rows(arms, at_risk, placed), undated


def _rows(arms: list[str], at_risk: dict[str, set[int]],
          placed: dict[str, list[_Event]]) -> list[CountRow]:
    def people(select: dict[str, set[int]]) -> tuple[tuple[int, ...], int]:
        return (tuple(len(select.get(a, set())) for a in arms),
                len(set().union(*select.values())) if select else 0)

    any_event = {a: {e.participant_id for e in placed[a]} for a in arms}
    serious = {a: {e.participant_id for e in placed[a] if e.serious} for a in arms}
    worst: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for arm in arms:
        by_person: dict[int, str] = {}
        for event in placed[arm]:
            known = by_person.get(event.participant_id)
            if known is None or _rank(event.grade) > _rank(known):
                by_person[event.participant_id] = event.grade
        for pid, grade in by_person.items():
            worst[grade][arm].add(pid)
    rows = [CountRow(ROOT, "Participants randomized", *people(at_risk)),
            CountRow("any_event", "With an adverse event", *people(any_event), parent=ROOT),
            CountRow("serious", "With a serious adverse event", *people(serious),
                     parent="any_event")]
    for grade in sorted(worst, key=_rank):
        label = f"Worst grade {grade}" if grade else "Worst grade not recorded"
        rows.append(CountRow(f"grade:{grade}", label, *people(worst[grade]),
                             parent="any_event", partition="worst_grade"))
    return rows


def _rank(grade: str) -> int:
    return int(grade) if grade.isdigit() else -1


def _events(study: Study, protocol: Protocol,
            participants: set[int]) -> tuple[list[_Event], int]:
    forms = adverse_event_forms(protocol)
    versions = FormVersion.objects.filter(
        record__participant_id__in=participants, record__form_id__in=forms,
        number=F("record__latest_version")).select_related("record")
    found, undated = [], 0
    for version in versions:
        items = forms[version.record.form_id]
        onset = _date(version.data.get(items.onset))
        if onset is None:
            undated += 1
            continue
        found.append(_Event(version.record.participant_id, onset,
                            items.is_serious(version.data), items.grade_of(version.data)))
    return found, undated


def _date(value: object) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def stored_rows(cut: DataCut) -> list[ShownRow]:
    """A stored cut's rows as shown."""
    return [ShownRow(r["key"], r["label"], r["pooled"],
                     tuple(r["counts"]) if r["counts"] is not None else None,
                     r.get("parent"), r.get("partition", "")) for r in cut.tables["rows"]]


def as_stored(rows: list[ShownRow]) -> list[dict[str, object]]:
    return [{"key": r.key, "label": r.label, "pooled": r.pooled,
             "counts": list(r.counts) if r.counts is not None else None,
             "parent": r.parent, "partition": r.partition} for r in rows]
