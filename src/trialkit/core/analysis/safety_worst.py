"""Participants by their worst category: maximum CTCAE grade, closest relation to a product.

A participant counts once per term, under the worst (highest in ``order``) category among
their events of that term; event counts are the events recorded with each category. The
same method serves grades (``order=("1", "2", "3", "4", "5")`` or ``("MILD", "MODERATE",
"SEVERE")``) and relation (e.g. ``("NOT RELATED", "UNLIKELY", "POSSIBLE", "PROBABLE",
"RELATED")``, once per product: IV dose, IT dose, procedure). A missing category ranks below
every listed one and shows as "(missing)": a participant whose events all lack a grade is
counted there, never silently dropped; the number of such events is noted. A value not in
``order`` is an error (a misspelt grade must not vanish from a safety table).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from trialkit.core.analysis.safety import (
    Category,
    Counts,
    Prepared,
    SafetyTable,
    prefixes,
    prepare,
    rows_of,
    term_paths,
)
from trialkit.core.analysis.table import AnalysisInputError, Table

MISSING = "(missing)"


def by_worst_category(subjects: Table, events: Table, *, column: str, order: Sequence[str],
                      levels: Sequence[str] = ("AESOC", "AEDECOD"),
                      subject: str = "USUBJID", treatment: str = "TRT01A",
                      arms: Sequence[str] | None = None,
                      reference: str | None = None) -> SafetyTable:
    """Rows ``(*term, category)`` for each term path (any event, SOC, PT) and category."""
    prepared = prepare(subjects, events, subject, treatment, arms, reference)
    grades = _grades(events, column, order, [index for _, _, index in prepared.events])
    paths = term_paths(prepared, events, levels)
    worst, counts = _worst(prepared, paths, grades, order)
    arm_of = {sid: arm for sid, arm, _ in prepared.events}
    participants: Counts[set[str]] = defaultdict(lambda: defaultdict(set))
    for (prefix, sid), grade in worst.items():
        participants[(*prefix, grade)][arm_of[sid]].add(sid)
    categories = [(*prefix, grade) for prefix in sorted({p for p, _ in worst})
                  for grade in (*order, MISSING)
                  if grade != MISSING or (*prefix, MISSING) in counts]
    rows = rows_of(prepared, participants, counts, reference, categories)
    notes = prepared.notes + _missing_note(grades, column)
    return SafetyTable(f"participants by worst {column}", prepared.arms,
                       prepared.denominators, (*levels, column), reference, rows, notes)


def _worst(prepared: Prepared, paths: list[Category], grades: list[str],
           order: Sequence[str]) -> tuple[dict[tuple[Category, str], str], Counts[int]]:
    """Each (term path, participant)'s worst category, and event counts per category."""
    ranks = {grade: rank for rank, grade in enumerate((MISSING, *order))}
    worst: dict[tuple[Category, str], str] = {}
    counts: Counts[int] = defaultdict(lambda: defaultdict(int))
    for (sid, arm, _), path, grade in zip(prepared.events, paths, grades, strict=True):
        for prefix in prefixes(path):
            counts[(*prefix, grade)][arm] += 1
            current = worst.get((prefix, sid))
            if current is None or ranks[grade] > ranks[current]:
                worst[(prefix, sid)] = grade
    return worst, counts


def _grades(events: Table, column: str, order: Sequence[str], rows: list[int]) -> list[str]:
    values = _labels(events, column)
    if len(set(order)) != len(order) or MISSING in order or "" in order:
        raise AnalysisInputError(f"order for '{column}' must list distinct, non-empty values")
    unknown = sorted({values[i] for i in rows} - set(order) - {""})
    if unknown:
        raise AnalysisInputError(f"'{column}' holds value(s) {', '.join(unknown)} not in the "
                                 f"order {list(order)}")
    return [values[i] or MISSING for i in rows]


def _labels(events: Table, column: str) -> list[str]:
    """Text values; whole numbers in a numeric grade column read "3", not "3.0"."""
    if events[column].dtype.kind not in "biuf":
        return list(events.text(column))
    return ["" if v != v else str(int(v)) if float(v).is_integer() else str(v)
            for v in events.numeric(column)]


def _missing_note(grades: list[str], column: str) -> tuple[str, ...]:
    count = grades.count(MISSING)
    return (f"{count} event(s) without a value of '{column}' rank below every category and "
            "show as (missing)",) if count else ()
