"""Adverse-event summaries: participants and events by arm, overall and by SOC / PT.

Inputs are two tables, already restricted by the caller to the analysis set and data subset
(e.g. ADSL with SAFFL = Y; ADAE with TRTEMFL = Y): ``subjects`` gives each participant's arm
(the denominators N) and ``events`` one row per event. The arm comes from ``subjects``, not
from the event rows (ARS groups by ADSL.TRT01A). A participant counts once per row however
many events they had; ``events`` counts records. Percentages are 100·n/N. Events of
participants missing from ``subjects`` are left out and counted in a note.

With a ``reference`` arm each row carries Fisher's exact two-sided p for every other arm
against it (``None`` where the 2×2 table has a zero margin, as SAS leaves it blank).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from trialkit.core.analysis.groups import arm_order
from trialkit.core.analysis.proportions import fisher_exact
from trialkit.core.analysis.subsets import Where, mask
from trialkit.core.analysis.table import AnalysisInputError, Table

Category = tuple[str, ...]
Order = Literal["alphabetical", "frequency"]
NOT_CODED = "(not coded)"
T = TypeVar("T")
Counts = dict[Category, dict[str, T]]


@dataclass(frozen=True)
class ArmCount:
    subjects: int
    percent: float | None
    """100·subjects/N; ``None`` for an arm without participants."""
    events: int


@dataclass(frozen=True)
class SafetyRow:
    category: Category
    """``()`` for any event, ``(soc,)``, ``(soc, pt)``; a trailing grade in worst-grade tables."""
    counts: Mapping[str, ArmCount]
    p_values: Mapping[str, float | None]
    """Fisher exact p of each non-reference arm against the reference (empty without one)."""


@dataclass(frozen=True)
class SafetyTable:
    title: str
    arms: tuple[str, ...]
    denominators: Mapping[str, int]
    levels: tuple[str, ...]
    """The event columns that make up a row's category, in order."""
    reference: str | None
    rows: tuple[SafetyRow, ...]
    notes: tuple[str, ...] = ()

    def row(self, *category: str) -> SafetyRow:
        for row in self.rows:
            if row.category == category:
                return row
        raise KeyError(category)


@dataclass(frozen=True)
class Prepared:
    arms: tuple[str, ...]
    denominators: dict[str, int]
    events: list[tuple[str, str, int]]
    """(subject, arm, event row index) for every event of a participant in ``subjects``."""
    notes: tuple[str, ...]


def prepare(subjects: Table, events: Table, subject: str, treatment: str,
            arms: Sequence[str] | None, reference: str | None) -> Prepared:
    ids, groups = subjects.text(subject), subjects.text(treatment)
    if len(set(ids)) != len(ids):
        raise AnalysisInputError(f"subjects: '{subject}' is not unique")
    order = arm_order(groups, arms, reference)
    arm_of = {sid: arm for sid, arm in zip(ids, groups, strict=True) if arm}
    denominators = {arm: sum(1 for a in arm_of.values() if a == arm) for arm in order}
    kept, dropped = [], 0
    for index, sid in enumerate(events.text(subject)):
        if sid in arm_of:
            kept.append((sid, arm_of[sid], index))
        else:
            dropped += 1
    notes: tuple[str, ...] = (f"{dropped} event(s) of participants outside the analysis set "
                              "(or without an arm) were left out",) if dropped else ()
    unassigned = sum(1 for a in groups if not a)
    if unassigned:
        notes += (f"{unassigned} participant(s) without an arm were left out",)
    return Prepared(order, denominators, kept, notes)


def tally(prepared: Prepared, keys: Iterable[Sequence[Category]], reference: str | None,
          categories: Sequence[Category]) -> tuple[SafetyRow, ...]:
    """Rows for ``categories``; ``keys[i]`` lists the categories event ``i`` counts towards."""
    subjects: Counts[set[str]] = defaultdict(lambda: defaultdict(set))
    counts: Counts[int] = defaultdict(lambda: defaultdict(int))
    for (sid, arm, _), event_keys in zip(prepared.events, keys, strict=True):
        for key in event_keys:
            subjects[key][arm].add(sid)
            counts[key][arm] += 1
    return rows_of(prepared, subjects, counts, reference, categories)


def rows_of(prepared: Prepared, subjects: Counts[set[str]], counts: Counts[int],
            reference: str | None, categories: Sequence[Category]) -> tuple[SafetyRow, ...]:
    return tuple(_row(category, prepared, subjects.get(category, {}),
                      counts.get(category, {}), reference) for category in categories)


def _row(category: Category, prepared: Prepared, subjects: Mapping[str, set[str]],
         counts: Mapping[str, int], reference: str | None) -> SafetyRow:
    by_arm = {}
    for arm in prepared.arms:
        n, total = len(subjects.get(arm, ())), prepared.denominators[arm]
        by_arm[arm] = ArmCount(n, 100 * n / total if total else None, counts.get(arm, 0))
    p_values: dict[str, float | None] = {}
    if reference is not None:
        ref = by_arm[reference]
        for arm in prepared.arms:
            if arm != reference:
                p_values[arm] = fisher_exact(by_arm[arm].subjects, prepared.denominators[arm],
                                             ref.subjects, prepared.denominators[reference])
    return SafetyRow(category, by_arm, p_values)


def events_by_term(subjects: Table, events: Table, *, levels: Sequence[str] = ("AESOC",
                   "AEDECOD"), subject: str = "USUBJID", treatment: str = "TRT01A",
                   arms: Sequence[str] | None = None, reference: str | None = None,
                   order: Order = "alphabetical") -> SafetyTable:
    """Participants and events by arm: any event, then each level of the hierarchy (SOC,
    then PT within SOC), depth first, alphabetical or by descending frequency. Every
    category observed in any arm appears for every arm (with zeros)."""
    prepared = prepare(subjects, events, subject, treatment, arms, reference)
    keys = [prefixes(path) for path in term_paths(prepared, events, levels)]
    observed = sorted({key for event_keys in keys for key in event_keys})
    rows = tally(prepared, keys, reference, observed)
    rows = by_frequency(rows) if order == "frequency" else rows
    return SafetyTable("participants with events by " + " and ".join(levels), prepared.arms,
                       prepared.denominators, tuple(levels), reference, rows, prepared.notes)


def term_paths(prepared: Prepared, events: Table, levels: Sequence[str]) -> list[Category]:
    """Each kept event's (SOC, PT, ...) path; an uncoded level reads "(not coded)"."""
    values = [events.text(level) for level in levels]
    return [tuple(column[index] or NOT_CODED for column in values)
            for _, _, index in prepared.events]


def prefixes(path: Category) -> list[Category]:
    """``()``, ``(soc,)``, ``(soc, pt)``: the rows an event counts towards."""
    return [path[:depth] for depth in range(len(path) + 1)]


def by_frequency(rows: Sequence[SafetyRow]) -> tuple[SafetyRow, ...]:
    """Depth-first, siblings by descending participants over all arms, then by name."""
    total = {row.category: sum(c.subjects for c in row.counts.values()) for row in rows}

    def rank(row: SafetyRow) -> tuple[tuple[int, str], ...]:
        path = row.category
        return tuple((-total.get(path[:i + 1], 0), path[i]) for i in range(len(path)))

    return tuple(sorted(rows, key=rank))


def overview(subjects: Table, events: Table, *, categories: Mapping[str, Where | None],
             subject: str = "USUBJID", treatment: str = "TRT01A",
             arms: Sequence[str] | None = None, reference: str | None = None) -> SafetyTable:
    """One row per named category of events, e.g. ``{"any": None, "serious":
    Condition("AESER", "EQ", ("Y",))}``: participants with at least one such event."""
    prepared = prepare(subjects, events, subject, treatment, arms, reference)
    selected = {label: mask(events, where) for label, where in categories.items()}
    keys = [[(label,) for label, rows in selected.items() if rows[index]]
            for _, _, index in prepared.events]
    rows = tally(prepared, keys, reference, [(label,) for label in categories])
    return SafetyTable("overview of events", prepared.arms, prepared.denominators,
                       ("category",), reference, rows, prepared.notes)
