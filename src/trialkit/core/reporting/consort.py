"""The CONSORT flow and the listings a report shows, from the analysis datasets alone.

Counts: everyone in ADSL was assessed for eligibility; those never enrolled are excluded (by
status: screen failure, consented but not enrolled, still in screening); enrolled participants
by part, then by arm (or pooled) with who received an administration, who ended the study early
and why, who completed and who is ongoing; and each analysis set's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from trialkit.core.adam import AnalysisDatasets
from trialkit.core.protocol.model import Protocol


@dataclass(frozen=True)
class Box:
    label: str
    n: int
    detail: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Flow:
    assessed: Box
    excluded: Box
    parts: tuple[tuple[Box, tuple[Box, ...]], ...]
    """Each part with its groups (arms, or one pooled group)."""
    analysed: tuple[Box, ...]


def consort(protocol: Protocol, datasets: AnalysisDatasets) -> Flow:
    adsl = datasets.tables["ADSL"]
    enrolled = adsl.text("ENRLFL") == "Y"
    excluded = ~enrolled
    statuses = [s or "not enrolled" for s in adsl.text("DCSREAS")[excluded]]
    parts = []
    for part in protocol.design.parts:
        mine = enrolled & (adsl.text("PART") == part.id)
        groups = []
        arms = adsl.text("TRTSEQP" if part.is_crossover else "TRT01P")
        for group in sorted(set(arms[mine].tolist())):
            chosen = mine & (arms == group)
            groups.append(_group(group or "(no allocation)", adsl, chosen))
        parts.append((Box(part.name, int(mine.sum())), tuple(groups)))
    analysed = tuple(Box(s.name, int((adsl.text(s.flag) == "Y").sum()))
                     for s in protocol.analysis_data.sets)
    return Flow(Box("Assessed for eligibility", adsl.n_rows),
                Box("Not enrolled", int(excluded.sum()), _tally(statuses)),
                tuple(parts), analysed)


def _group(label: str, adsl: Any, chosen: np.ndarray) -> Box:
    dosed = ~np.isnat(adsl["TRTSDT"]) & chosen
    status = adsl.text("EOSSTT")[chosen]
    reasons = [r or "discontinued" for r, s in zip(adsl.text("DCSREAS")[chosen], status,
                                                    strict=True) if s == "DISCONTINUED"]
    return Box(label, int(chosen.sum()), (
        ("received an administration", int(dosed.sum())),
        ("completed", int((status == "COMPLETED").sum())),
        ("ongoing", int((status == "ONGOING").sum())),
        ("discontinued", len(reasons)), *_tally(reasons)))


def _tally(values: list[str]) -> tuple[tuple[str, int], ...]:
    return tuple((value, values.count(value)) for value in sorted(set(values)))
