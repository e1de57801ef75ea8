"""Shift tables: participants by baseline category and later category, by arm.

Two uses with one method. A laboratory shift table (ICH E3 §12.4.2; the FDA's standard
safety tables) crosses the baseline reference-range indicator (BNRIND) with the worst
post-baseline one (ANRIND): with ``subject`` each participant counts once, at the highest
category of ``order`` among their records (order from best to worst: [NORMAL, HIGH] for a
worst-high table, [NORMAL, LOW] for a worst-low one). An ordinal outcome's shift (the modified
Rankin scale at day 90, by its pre-treatment value) takes one record per participant and no
``subject``. Without ``baseline`` the table is the distribution by arm.

Percentages are of the participants in the arm and baseline row (the row total), as shift
tables are read ("of those normal at baseline, x % went high"). A missing baseline is a
row of its own, "(missing)"; a participant without a later value is left out with a note;
a value outside ``order`` is an error, so a misspelt category cannot vanish.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from trialkit.core.analysis.groups import arm_order
from trialkit.core.analysis.ordinal import CategoryCount, category_labels
from trialkit.core.analysis.table import AnalysisInputError, Array, Table, missing

MISSING = "(missing)"
ALL = "(all)"


@dataclass(frozen=True)
class ShiftRow:
    baseline: str
    n: int
    counts: tuple[CategoryCount, ...]


@dataclass(frozen=True)
class ShiftArm:
    group: str
    n: int
    rows: tuple[ShiftRow, ...]


@dataclass(frozen=True)
class ShiftResult:
    response: str
    baseline: str | None
    treatment: str
    categories: tuple[str, ...]
    worst: bool
    """Whether a participant's several records were reduced to their worst."""
    arms: tuple[ShiftArm, ...]
    n: int
    notes: tuple[str, ...]


def shift_table(data: Table, *, response: str, treatment: str, baseline: str | None = None,
                subject: str | None = None, order: Sequence[str] | None = None,
                arms: Sequence[str] | None = None) -> ShiftResult:
    notes: list[str] = []
    after = category_labels(data[response])
    before = category_labels(data[baseline]) if baseline else np.full(data.n_rows, ALL,
                                                                       dtype=object)
    groups = data.text(treatment)
    categories = _order(after, before if baseline else None, order, response)
    worst = False
    if subject is not None:
        worst = len({str(v) for v in data.text(subject)}) < data.n_rows
        after, before, groups = _worst(data.text(subject), after, before, groups, categories,
                                       notes)
    answered = ~missing(after) & ~missing(groups)
    if (~answered).any():
        notes.append(f"{int((~answered).sum())} participant(s) without '{response}' (or "
                     f"'{treatment}') were left out")
    after, before, groups = after[answered], before[answered], groups[answered]
    before = np.array([MISSING if b == "" else b for b in before], dtype=object)
    if baseline and (before == MISSING).any():
        notes.append(f"{int((before == MISSING).sum())} participant(s) without '{baseline}' "
                     f"are shown as {MISSING}")
    rows_order = [*categories, *([MISSING] if np.any(before == MISSING) else [])] \
        if baseline else [ALL]
    shown = arm_order(groups, arms)
    table = []
    for arm in shown:
        mine = groups == arm
        rows = []
        for row in rows_order:
            here = after[mine & (before == row)]
            total = len(here)
            rows.append(ShiftRow(row, total, tuple(
                CategoryCount(c, int(np.sum(here == c)),
                              100 * float(np.sum(here == c)) / total if total else None)
                for c in categories)))
        table.append(ShiftArm(arm, int(mine.sum()), tuple(rows)))
    return ShiftResult(response, baseline, treatment, tuple(categories), worst,
                       tuple(table), len(after), tuple(notes))


def _order(after: Array, before: Array | None, order: Sequence[str] | None,
           response: str) -> tuple[str, ...]:
    present = {str(v) for v in after[~missing(after)]}
    if before is not None:
        present |= {str(v) for v in before[~missing(before)]}
    if order is None:
        def key(v: str) -> tuple[int, float, str]:
            try:
                return (0, float(v), v)
            except ValueError:
                return (1, 0.0, v)
        return tuple(sorted(present, key=key))
    unknown = sorted(present - set(order))
    if unknown:
        raise AnalysisInputError(f"'{response}': value(s) {', '.join(unknown)} are not in "
                                 f"the order {list(order)}")
    return tuple(order)


def _worst(subjects: Array, after: Array, before: Array, groups: Array,
           categories: Sequence[str], notes: list[str]) -> tuple[Array, Array, Array]:
    """One row per participant: the worst later category, their baseline and arm."""
    rank = {c: i for i, c in enumerate(categories)}
    worst, base, arm = [], [], []
    ids = sorted({str(s) for s in subjects if s != ""})
    for who in ids:
        mine = subjects == who
        values = [v for v in after[mine] if v != ""]
        baselines = sorted({str(b) for b in before[mine] if b != ""})
        if len(baselines) > 1:
            raise AnalysisInputError(f"participant {who}: several baselines {baselines}")
        worst.append(max(values, key=lambda v: rank[v]) if values else "")
        base.append(baselines[0] if baselines else "")
        arm.append(next((str(g) for g in groups[mine] if g != ""), ""))
    if len(ids) < len(subjects):
        notes.append(f"the worst of {len(subjects)} record(s) of {len(ids)} participant(s)")
    return (np.array(worst, dtype=object), np.array(base, dtype=object),
            np.array(arm, dtype=object))
