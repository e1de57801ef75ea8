"""The attrition funnel and the ranked candidate list of a pre-screen result.

A patient *passes* a criterion unless it rules them out: an inclusion that is ``not_met`` or
an exclusion that is ``met``. ``unknown`` passes (it is a question for the screening visit,
not a reason to drop the patient). The funnel applies criteria in protocol order; for each
it also counts how many more patients would pass every criterion if that one were dropped,
i.e. how many it alone rules out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trialkit.core.eligibility import nodes as n

VERDICT_ORDER = {"eligible": 0, "incomplete": 1, "ineligible": 2}


@dataclass(frozen=True, slots=True)
class FunnelStep:
    criterion: str
    kind: str
    met: int
    not_met: int
    unknown: int
    remaining: int
    """Patients who pass this criterion and every earlier one."""
    only_this: int
    """Patients ruled out by this criterion alone (would pass without it)."""


@dataclass(frozen=True, slots=True)
class Funnel:
    patients: int
    steps: tuple[FunnelStep, ...]
    verdicts: dict[str, int]


def passes(result: pa.Table, criterion: str, kind: str) -> np.ndarray:
    failing = n.NOT_MET if kind == "inclusion" else n.MET
    column = result.column(criterion)
    return np.asarray(pc.not_equal(column, failing).to_numpy(zero_copy_only=False), dtype=bool)


def funnel(result: pa.Table, criteria: list[tuple[str, str]]) -> Funnel:
    """``criteria``: (id, kind) in protocol order."""
    size = result.num_rows
    passing = [passes(result, cid, kind) for cid, kind in criteria]
    fails = np.sum([~p for p in passing], axis=0) if passing else np.zeros(size, dtype=int)
    remaining = np.ones(size, dtype=bool)
    steps = []
    for (cid, kind), ok in zip(criteria, passing, strict=True):
        remaining &= ok
        counts = {s: int(pc.sum(pc.equal(result.column(cid), s)).as_py() or 0)
                  for s in (n.MET, n.NOT_MET, n.UNKNOWN)}
        steps.append(FunnelStep(cid, kind, counts[n.MET], counts[n.NOT_MET], counts[n.UNKNOWN],
                                int(remaining.sum()), int(((fails == 1) & ~ok).sum())))
    verdicts = {v: int(pc.sum(pc.equal(result.column("verdict"), v)).as_py() or 0)
                for v in VERDICT_ORDER}
    return Funnel(size, tuple(steps), verdicts)


def combined(parts: list[Funnel], criteria: list[tuple[str, str]]) -> Funnel:
    """The funnel of several disjoint groups of patients: every figure is a patient count,
    so the whole's is the sum of the parts'."""
    steps = []
    for i, (cid, kind) in enumerate(criteria):
        mine = [p.steps[i] for p in parts]
        steps.append(FunnelStep(cid, kind, *(sum(getattr(s, f) for s in mine) for f in (
            "met", "not_met", "unknown", "remaining", "only_this"))))
    verdicts = {v: sum(p.verdicts[v] for p in parts) for v in VERDICT_ORDER}
    return Funnel(sum(p.patients for p in parts), tuple(steps), verdicts)


def unknown_counts(result: pa.Table, criteria: list[str]) -> pa.Array:
    unknown = np.zeros(result.num_rows, dtype=np.int64)
    for cid in criteria:
        unknown += np.asarray(pc.equal(result.column(cid), n.UNKNOWN).to_numpy(
            zero_copy_only=False), dtype=np.int64)
    return pa.array(unknown)


def ranked_sql(source: str) -> str:
    """DuckDB SQL that orders ``source`` (a table or table function with ``verdict``,
    ``unknown_count`` and ``patient_id``): eligible, then incomplete by how few criteria are
    unknown, then ineligible; ties by patient id as text. :func:`with_ranks` then numbers
    the rows: a plain ORDER BY spills to disk under a memory limit, where a window function
    over every patient would hold them all in memory."""
    order = " ".join(f"WHEN '{v}' THEN {k}" for v, k in VERDICT_ORDER.items())
    key = f"CASE verdict {order} END, unknown_count, patient_id"
    return f"SELECT * FROM {source} ORDER BY {key}"


def with_ranks(batches: pa.RecordBatchReader) -> pa.RecordBatchReader:
    """The batches of :func:`ranked_sql`, in order, with ``rank``: 1, 2, … for candidates
    (eligible or incomplete), null for ineligible patients."""
    schema = batches.schema.append(pa.field("rank", pa.int64()))

    def numbered() -> Iterator[pa.RecordBatch]:
        seen = 0
        for batch in batches:
            candidate = np.asarray(pc.not_equal(batch.column("verdict"), "ineligible")
                                   .to_numpy(zero_copy_only=False), dtype=bool)
            ranks = seen + np.cumsum(candidate)
            seen = int(ranks[-1]) if len(ranks) else seen
            rank = pa.array(ranks, type=pa.int64(), mask=~candidate)
            yield pa.RecordBatch.from_arrays([*batch.columns, rank], schema=schema)

    return pa.RecordBatchReader.from_batches(schema, numbered())


def draw(result: Funnel, out: Path, title: str) -> None:
    """The funnel as a horizontal bar chart (PNG or SVG by the file's extension)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["all patients", *(f"{s.criterion} ({s.kind[:3]})" for s in result.steps)]
    values = [result.patients, *(s.remaining for s in result.steps)]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(labels) + 1.5))
    y = np.arange(len(labels))[::-1]
    ax.barh(y, values, color="#4c72b0")
    for yi, value in zip(y, values, strict=True):
        ax.text(value, yi, f" {value:,}", va="center", fontsize=8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("patients still possibly eligible")
    ax.set_xlim(0, max(values) * 1.15 if max(values) else 1)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
