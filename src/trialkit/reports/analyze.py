"""`trialkit analyze` without the command line: from the trial's rows to every output.

``analyze(protocol, rows, out)`` derives the analysis datasets, runs every declared analysis,
and writes, under ``out``: the datasets in each registered format (``datasets/<format>/``),
``results.json``, ``report.html`` with its ``figures/``, one RTF table per analysis
(``rtf/``) and ``manifest.json`` with the SHA-256 of every file. Every output carries the
stamp: protocol version, code version, as-of date, the SHA-256 of the input rows and the view
(pooled when the rows carry no allocation). Nothing reads the clock: the same rows give the
same bytes (figures aside, which matplotlib may change between its versions).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trialkit import __version__
from trialkit.core.adam import AnalysisDatasets, TrialRows, derive
from trialkit.core.protocol import Protocol, protocol_version
from trialkit.core.reporting.consort import Flow, consort
from trialkit.core.reporting.display import DisplayTable
from trialkit.core.reporting.runner import run_all
from trialkit.core.reporting.stamp import Stamp
from trialkit.interop.datasets import FORMATS, DatasetMeta
from trialkit.reports import figures
from trialkit.reports.html import report_html
from trialkit.reports.listings import baseline_tables, effects, listings
from trialkit.reports.rtf import write_rtf

Step = Callable[[str], None]
"""Told the description of each step as it starts (a progress display)."""


@dataclass(frozen=True)
class Written:
    out: Path
    stamp: Stamp
    files: dict[str, str]
    """Relative path → SHA-256."""
    results: dict[str, Any]


def steps(protocol: Protocol) -> int:
    """How many steps ``analyze`` reports (for a progress bar)."""
    return 5 + len(FORMATS) + sum(len(e.analyses) for e in protocol.endpoints)


def analyze(protocol: Protocol, rows: TrialRows, out: Path, *,
            step: Step = lambda _: None) -> Written:
    step("deriving the analysis datasets")
    datasets = derive(protocol, rows)
    stamp = Stamp(protocol.identity.id, protocol_version(protocol), __version__, rows.as_of,
                  datasets.digest, "blinded-pooled" if datasets.blinded else "unblinded-by-arm")
    out.mkdir(parents=True, exist_ok=True)
    for name, form in FORMATS.items():
        step(f"writing the datasets as {form.name}")
        folder = out / "datasets" / name
        folder.mkdir(parents=True, exist_ok=True)
        for dataset, table in datasets.tables.items():
            stem = dataset.lower() if name == "xpt" else dataset
            form.write(folder / f"{stem}{form.suffix}", table, _meta(datasets, dataset), stamp)
    step("running the analyses")
    endpoints = run_all(protocol, datasets)
    flow = consort(protocol, datasets)
    results = {"stamp": stamp.as_data(), "title": protocol.identity.brief_title,
               "consort": dataclasses.asdict(flow), "endpoints": endpoints,
               "datasets": {n: {"records": t.n_rows, "variables": list(t.names)}
                            for n, t in datasets.tables.items()},
               "notes": list(datasets.notes)}
    _write_json(out / "results.json", results)
    step("drawing the figures")
    drawn = _figures(protocol, datasets, endpoints, flow, out / "figures")
    step("writing the HTML report")
    names = visit_names(protocol)
    (out / "report.html").write_text(report_html(
        title=protocol.identity.brief_title, stamp=stamp, endpoints=endpoints, flow=flow,
        baseline=baseline_tables(datasets), listings=listings(protocol, datasets),
        figures=drawn, datasets={n: t.n_rows for n, t in datasets.tables.items()},
        notes=datasets.notes, names=names), encoding="utf-8")
    (out / "rtf").mkdir(exist_ok=True)
    for endpoint in endpoints:
        for outcome in endpoint["analyses"]:
            step(f"RTF table {outcome['id']}")
            from trialkit.core.reporting.display import tables_of

            write_rtf(out / "rtf" / f"{outcome['id']}.rtf", outcome["title"],
                      tables_of(outcome, names), outcome["notes"], stamp)
    step("writing the manifest")
    files = {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(out.rglob("*")) if p.is_file() and p.name != "manifest.json"}
    _write_json(out / "manifest.json", {"stamp": stamp.as_data(), "files": files})
    return Written(out, stamp, files, results)


def _meta(datasets: AnalysisDatasets, name: str) -> DatasetMeta:
    spec = datasets.specs[name]
    adsl = datasets.specs["ADSL"]
    labels = {v.name: v.label for v in (*adsl.variables, *spec.variables)}
    return DatasetMeta(name, spec.label, labels,
                       ("STUDYID", "USUBJID", "PARAMCD") if "PARAMCD" in spec.names
                       else ("STUDYID", "USUBJID"))


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False,
                               allow_nan=False, default=_plain) + "\n", encoding="utf-8")


def _plain(value: object) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _figures(protocol: Protocol, datasets: AnalysisDatasets, endpoints: list[dict[str, Any]],
             flow: Flow, folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    drawn: dict[str, str | None] = {"consort": figures.consort(flow)}
    group = "TRTSEQP" if "TRTSEQP" in datasets.tables["ADSL"] else "TRT01P"
    drawn["swimmer"] = figures.swimmer(datasets, group)
    drawn["forest"] = figures.forest(effects(endpoints))
    flags = {s.id: s.flag for s in protocol.analysis_data.sets}
    for endpoint in endpoints:
        for outcome in endpoint["analyses"]:
            spec = datasets.specs[outcome["dataset"]]
            if spec.form and spec.structure == "BDS" and outcome["parameter"]:
                key = f"trajectory:{outcome['dataset']}.{outcome['parameter']}"
                if key not in drawn:
                    drawn[key] = figures.trajectory(
                        datasets, outcome["dataset"], outcome["parameter"],
                        flags[outcome["analysis_set"]], group,
                        f"{spec.parameter(outcome['parameter']).name} by visit")  # type: ignore[union-attr]
            result = outcome["result"]
            if result is not None and result["type"] == "KaplanMeierResult":
                drawn[outcome["id"]] = figures.kaplan_meier(result, outcome["title"])
    paths = {}
    for key, svg in drawn.items():
        if svg is not None:
            name = key.replace(":", "-").replace(".", "-") + ".svg"
            (folder / name).write_text(svg, encoding="utf-8")
            paths[key] = f"figures/{name}"
    return paths


def visit_names(protocol: Protocol) -> dict[str, str]:
    """The schedule's visit ids that are codes rather than words (``M3``, not ``Screening``),
    with their names: results name visits by id (AVISIT)."""
    return {v.id: v.name for v in protocol.schedule.visits
            if v.id != v.name and (any(c.isdigit() for c in v.id) or "_" in v.id)}


__all__ = ["DisplayTable", "Written", "analyze", "steps", "visit_names"]
