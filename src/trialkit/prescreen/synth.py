"""A synthetic multiple-sclerosis population, written as OMOP CDM v5.4 Parquet tables.

Every patient is drawn from the cohort generator of ``trialkit.core.simulation.cohort`` (course,
relapse-like events, scans with lesion counts, a disability score, screening labs, DMT history,
comorbidities, attestations) with realistic gaps: labs that are missing, stale or lack a
reference range, unanswered attestations, observation periods that end before the reference
date. The in-silico trial draws its candidates from the same generator; here it runs with fixed
rates by course, as test and benchmark data. The concepts of the disease's tables and the
attestations are the ones the protocol declares (``_synth_plan``). Patients are generated and
written in chunks, so memory stays flat however many are asked for; the same seed and size give
byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from trialkit.core.eligibility.compile import compile_criteria
from trialkit.core.protocol import Protocol
from trialkit.prescreen._synth_events import Chunk
from trialkit.prescreen._synth_events import generate as generate_chunk
from trialkit.prescreen._synth_plan import plan_for
from trialkit.prescreen._synth_schema import ChunkWriter

DEFAULT_REFERENCE_DATE = date(2026, 11, 20)
DEFAULT_CHUNK = 100_000
Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class CohortSummary:
    patients: int
    rows: dict[str, int]
    out: Path


def write_cohort(
    out: Path, *, patients: int, rng: np.random.Generator, protocol: Protocol,
    reference_date: date = DEFAULT_REFERENCE_DATE, chunk_size: int = DEFAULT_CHUNK,
    progress: Progress | None = None,
) -> CohortSummary:
    """Write ``patients`` synthetic patients as OMOP tables (one Parquet file per table) in ``out``.
    The concepts of the protocol's own tables and attestations come from ``protocol``.

    Each chunk of ``chunk_size`` patients becomes one row group of every table. ``progress`` is
    called with the number of patients just written.
    """
    if patients < 1:
        raise ValueError("patients: must be at least 1")
    if chunk_size < 1:
        raise ValueError("chunk_size: must be at least 1")
    out.mkdir(parents=True, exist_ok=True)
    ref = int((np.datetime64(reference_date, "D") - np.datetime64(0, "D")).astype(np.int64))
    plan = plan_for(protocol, compile_criteria(protocol))
    writer = ChunkWriter(out)
    try:
        first = 1
        while first <= patients:
            n = min(chunk_size, patients - first + 1)
            chunk: Chunk = generate_chunk(rng, first_person_id=first, n=n, reference_day=ref,
                                         plan=plan)
            writer.write(chunk)
            first += n
            if progress is not None:
                progress(n)
    finally:
        writer.close()
    writer.write_concepts(plan.concepts.all)
    return CohortSummary(patients=patients, rows=dict(writer.rows), out=out)
