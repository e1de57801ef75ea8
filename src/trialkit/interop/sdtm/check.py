"""trialkit's SDTM conformance checker: the rules of ``rules.yaml`` run over a folder of
Dataset-JSON files and its define.xml, so it checks any submission folder, CDISC's own sample
included. Each finding names its rule (and the CORE rule it follows), dataset, variable and row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trialkit.interop.sdtm.datasetjson import Dataset, read_dataset
from trialkit.interop.sdtm.define_read import DefineInfo, read_define
from trialkit.interop.sdtm.rules import Rule, rules


@dataclass(frozen=True)
class Finding:
    rule: str
    core_id: str | None
    severity: str
    dataset: str
    variable: str
    row: int | None
    """1-based record number in the dataset; None for a finding about the whole dataset."""
    message: str

    def __str__(self) -> str:
        where = self.dataset + (f".{self.variable}" if self.variable else "")
        where += f" row {self.row}" if self.row is not None else ""
        cited = f" [{self.core_id}]" if self.core_id else ""
        return f"{self.severity.upper()} {self.rule}{cited} {where}: {self.message}"


@dataclass(frozen=True)
class Submission:
    datasets: Mapping[str, Dataset]
    define: DefineInfo | None


def load(folder: Path) -> Submission:
    datasets = {d.name: d for d in map(read_dataset, sorted(folder.glob("*.json")))}
    define = folder / "define.xml"
    return Submission(datasets, read_define(define) if define.exists() else None)


@dataclass(frozen=True)
class Report:
    """How a check reports: the rule's id, severity and message template filled in."""

    rule: Rule

    def __call__(self, dataset: str, variable: str = "", row: int | None = None, *,
                 severity: str | None = None, **values: Any) -> Finding:
        fields = {"dataset": dataset, "variable": variable, **values}
        return Finding(self.rule.id, self.rule.core_id, severity or self.rule.severity,
                       dataset, variable, row, self.rule.message.format(**fields))


Check = Callable[[Submission, Report], Iterator[Finding]]


def checks() -> dict[str, Check]:
    from trialkit.interop.sdtm import checks_cross, checks_data

    return {**checks_data.CHECKS, **checks_cross.CHECKS}


def check_submission(submission: Submission) -> list[Finding]:
    available = checks()
    findings: list[Finding] = []
    for rule in rules():
        if rule.check not in available:
            raise RuntimeError(f"rule {rule.id} names an unknown check {rule.check!r}")
        findings.extend(available[rule.check](submission, Report(rule)))
    return findings


def check_folder(folder: Path) -> list[Finding]:
    return check_submission(load(folder))


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]
