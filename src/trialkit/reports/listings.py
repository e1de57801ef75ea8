"""The report's baseline table, per-participant listings and the effects of the forest plot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from trialkit.core.adam import AnalysisDatasets
from trialkit.core.protocol import Protocol
from trialkit.core.reporting.display import DisplayTable, number

Effect = tuple[str, str, float, float | None, float | None]


def baseline_tables(datasets: AnalysisDatasets) -> list[DisplayTable]:
    """Enrolled participants by planned treatment: age, sex and strata."""
    adsl = datasets.tables["ADSL"]
    enrolled = adsl.where(adsl.text("ENRLFL") == "Y")
    group = "TRTSEQP" if "TRTSEQP" in enrolled else "TRT01P"
    groups = sorted(set(enrolled.text(group).tolist()))
    header = ("", *(f"{g} (N={int((enrolled.text(group) == g).sum())})" for g in groups))
    rows: list[tuple[str, ...]] = []
    if "AGE" in enrolled:
        ages = enrolled.numeric("AGE")
        rows.append(("Age, years: mean (SD)", *(
            _mean_sd(ages[(enrolled.text(group) == g) & ~np.isnan(ages)]) for g in groups)))
    for variable in [n for n in ("SEX", "RACE", "ETHNIC") if n in enrolled] + [
            n for n in enrolled.names if n.startswith("STRAT") and n.endswith("R")]:
        values = enrolled.text(variable)
        for level in sorted(set(values.tolist()) - {""}):
            rows.append((f"{variable} {level}", *(
                str(int(((values == level) & (enrolled.text(group) == g)).sum()))
                for g in groups)))
    return [DisplayTable("Demographics and baseline characteristics (enrolled)", header,
                         tuple(rows))]


def _mean_sd(values: np.ndarray) -> str:
    if not len(values):
        return ""
    sd = values.std(ddof=1) if len(values) > 1 else float("nan")
    return f"{values.mean():.1f} ({number(float(sd), 1) or '-'})"


def listings(protocol: Protocol, datasets: AnalysisDatasets) -> list[DisplayTable]:
    """Administrations and adverse events of each participant of the non-randomized parts
    (a Phase I cohort), and every serious adverse event."""
    adex, adae = datasets.tables["ADEX"], datasets.tables["ADAE"]
    found = []
    for part in protocol.design.parts:
        if part.allocation == "RANDOMIZED":
            continue
        mine = adex.where(adex.text("PART") == part.id)
        found.append(DisplayTable(f"{part.name}: administrations", (
            "Participant", "Administration", "Date", "Study day", "Against a gate"), tuple(
            (s, a, str(d), number(float(y), 0), o) for s, a, d, y, o in zip(
                mine.text("USUBJID"), mine.text("EXTRT"), mine["ASTDT"],
                mine.numeric("ASTDY"), mine.text("EXOVRFL"), strict=True))))
        found.append(_events(f"{part.name}: adverse events",
                             adae.where(adae.text("PART") == part.id)))
    if "AESER" in adae:
        found.append(_events("Serious adverse events", adae.where(adae.text("AESER") == "Y")))
    return found


def _events(title: str, events: Any) -> DisplayTable:
    grade = next((c for c in ("ATOXGR", "ASEV") if c in events), None)
    columns = ["USUBJID", "AETERM", "ASTDT", "ASTDY", *([grade] if grade else []), "AESER",
               *(c for c in ("AEOUT", "TRTEMFL") if c in events)]
    rows = tuple(tuple(_text(events[c][i]) for c in columns) for i in range(events.n_rows))
    return DisplayTable(title, tuple(columns), rows)


def _text(value: object) -> str:
    if isinstance(value, np.datetime64):
        return "" if np.isnat(value) else str(value)
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else number(float(value), 0)
    return str(value)


def effects(endpoints: Sequence[Mapping[str, Any]]) -> list[Effect]:
    """Every between-arm estimate of the results: ratios and differences."""
    found: list[Effect] = []
    for endpoint in endpoints:
        for outcome in endpoint["analyses"]:
            result = outcome["result"] or {}
            for key, kind in (("differences", "difference"), ("rate_ratios", "ratio"),
                              ("hazard_ratios", "ratio")):
                for e in result.get(key) or ():
                    estimate = e.get("estimate", e.get("difference"))
                    if estimate is not None:
                        found.append((f"{outcome['id']}: {e['label']}", kind, estimate,
                                      e.get("ci_lower"), e.get("ci_upper")))
    return found
