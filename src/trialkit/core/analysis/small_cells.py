"""Tables by arm with small cells withheld, so that no participant's arm can be worked out.

A committee that may see tables by arm but not allocations (``arm_summaries``) also sees, in
its open session, who had which event. A count of 1 in one arm and 0 in the other then names
the participant's arm; so does a difference: between two rows (participants with any event
minus those with a serious one), between a row and the participants at risk (those without an
event), or between the same row in two data cuts (who joined it in between). The rule here
(docs/adr/0014-committee-tables-at-data-cuts.md) is:

- Rows count participants, never events, and form a tree: each row is a subset of its parent
  (the participants at risk are the root), and a group of rows may partition their parent
  (worst grade).
- A **published vector** is what a reader can compute per arm from what is shown: a shown row;
  a shown row subtracted from a shown ancestor; the part of a shown parent outside the shown
  members of its partition; and each of those minus the same vector of an earlier cut.
- Every published vector must be **safe**: zero in every arm (nobody to place) or at least
  ``threshold`` in every arm (nobody singled out). A count between 1 and ``threshold - 1``,
  or a zero beside a non-zero, is a small cell.
- Rows are withheld whole (no arm's count shown, only the pooled one), never cell by cell:
  "<k" beside an exact count can be solved from the pooled total. Withholding repeats until
  every published vector is safe.

Pure Python; the web layer gathers the counts and stores what ``protect`` shows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

Vector = tuple[int, ...]
"""One count per arm, in the table's arm order."""


@dataclass(frozen=True)
class CountRow:
    key: str
    """Stable across data cuts (what earlier cuts are compared by)."""
    label: str
    counts: Vector
    pooled: int
    """Participants in the row, all arms together (a crossover participant once)."""
    parent: str | None = None
    """The row this one is a subset of (None: the root, the participants at risk)."""
    partition: str = ""
    """Rows with the same non-blank ``partition`` and parent split the parent between them."""


@dataclass(frozen=True)
class ShownRow:
    key: str
    label: str
    pooled: int
    counts: Vector | None
    """None: withheld."""
    parent: str | None = None
    partition: str = ""

    @property
    def withheld(self) -> bool:
        return self.counts is None


def is_safe(values: Sequence[int], threshold: int) -> bool:
    """Nobody placed in an arm: every count zero, or every count at least ``threshold``."""
    return all(v == 0 for v in values) or all(abs(v) >= threshold for v in values)


def protect(rows: Sequence[CountRow], threshold: int,
            earlier: Sequence[Sequence[ShownRow]] = ()) -> list[ShownRow]:
    """The rows as they may be shown: a row is withheld while any published vector it enters
    is a small cell, in this cut or against any ``earlier`` cut as it was shown."""
    if threshold < 1:
        raise ValueError("the threshold is at least 1")
    by_key = {row.key: row for row in rows}
    shown = set(by_key)
    before = [published(cut) for cut in earlier]
    while True:
        culprits = _unsafe(by_key, shown, before, threshold)
        if not culprits:
            break
        shown -= culprits
    return [ShownRow(r.key, r.label, r.pooled, r.counts if r.key in shown else None, r.parent,
                     r.partition) for r in rows]


def published(rows: Sequence[ShownRow]) -> dict[tuple[str, ...], Vector]:
    """Every vector a reader can compute from a cut as shown, by a key naming how."""
    counts = {r.key: r.counts for r in rows if r.counts is not None}
    parents = {r.key: r.parent for r in rows}
    found: dict[tuple[str, ...], Vector] = {(key,): vector for key, vector in counts.items()}
    for key, vector in counts.items():
        for ancestor in _ancestors(key, parents):
            if ancestor in counts:
                found[(ancestor, "minus", key)] = _minus(counts[ancestor], vector)
    for (parent, group), members in _partitions(rows).items():
        withheld = [m for m in members if m.counts is None]
        if parent in counts and withheld and len(withheld) < len(members):
            rest = counts[parent]
            for member in members:
                if member.counts is not None:
                    rest = _minus(rest, member.counts)
            found[(parent, "rest", group)] = rest
    return found


def _unsafe(by_key: Mapping[str, CountRow], shown: set[str],
            before: Sequence[Mapping[tuple[str, ...], Vector]], threshold: int) -> set[str]:
    """The rows to withhold next: those behind the first unsafe published vectors."""
    current = published([ShownRow(r.key, r.label, r.pooled, r.counts if r.key in shown
                                  else None, r.parent, r.partition)
                         for r in by_key.values()])
    culprits: set[str] = set()
    for how, vector in current.items():
        if not is_safe(vector, threshold) or any(
                how in old and not is_safe(_minus(vector, old[how]), threshold)
                for old in before):
            culprits |= _behind(how, by_key, shown)
    return culprits


def _behind(how: tuple[str, ...], by_key: Mapping[str, CountRow], shown: set[str]) -> set[str]:
    """The shown rows to withhold so that this published vector disappears."""
    if len(how) == 1:
        return {how[0]}
    if how[1] == "minus":
        return {how[2]}  # the subset: withholding it keeps its ancestor's count
    parent, group = how[0], how[2]
    return {r.key for r in by_key.values()
            if r.parent == parent and r.partition == group and r.key in shown}


def _ancestors(key: str, parents: Mapping[str, str | None]) -> Iterator[str]:
    seen = {key}
    parent = parents.get(key)
    while parent is not None and parent not in seen:
        yield parent
        seen.add(parent)
        parent = parents.get(parent)


def _partitions(rows: Sequence[ShownRow]) -> dict[tuple[str, str], list[ShownRow]]:
    groups: dict[tuple[str, str], list[ShownRow]] = {}
    for row in rows:
        if row.partition and row.parent is not None:
            groups.setdefault((row.parent, row.partition), []).append(row)
    return groups


def _minus(a: Vector, b: Vector) -> Vector:
    if len(a) != len(b):
        raise ValueError("vectors of different arms")
    return tuple(x - y for x, y in zip(a, b, strict=True))
