"""SDTM domains as CDISC Dataset-JSON 1.1, and Dataset-JSON files read back for the checker.

The columns' itemOID, dataType, length and keySequence are those of the define.xml written
beside them (``columns.py``), so a reviewer's tool can join the two by OID.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trialkit.core.sdtm import Domain
from trialkit.interop.datasets.writers import DATASET_JSON_VERSION
from trialkit.interop.sdtm.columns import Column, cell, columns


@dataclass(frozen=True)
class Study:
    """What every file of one submission carries: the study, the define's version and time."""

    oid: str
    name: str
    metadata_version: str
    created: str
    """ISO 8601 date/time of the data (the as-of day), never the clock: same data, same bytes."""
    system_version: str


def item_oid(dataset: str, variable: str) -> str:
    return f"IT.{dataset}.{variable}"


def _column(domain: Domain, column: Column) -> dict[str, Any]:
    data: dict[str, Any] = {"itemOID": item_oid(domain.name, column.name), "name": column.name,
                            "label": column.label, "dataType": column.json_type}
    if column.length is not None:
        data["length"] = column.length
    if column.key_sequence is not None:
        data["keySequence"] = column.key_sequence
    return data


def document(domain: Domain, study: Study) -> dict[str, Any]:
    cols = columns(domain)
    rows = [[cell(row.get(c.name), c) for c in cols] for row in domain.rows]
    return {
        "datasetJSONCreationDateTime": study.created, "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": f"{study.oid}/{study.metadata_version}/{domain.name}",
        "dbLastModifiedDateTime": study.created, "originator": "trialkit",
        "sourceSystem": {"name": "trialkit", "version": study.system_version},
        "studyOID": study.oid, "metaDataVersionOID": study.metadata_version,
        "metaDataRef": "define.xml", "itemGroupOID": f"IG.{domain.name}",
        "records": len(rows), "name": domain.name, "label": domain.label,
        "columns": [_column(domain, c) for c in cols], "rows": rows}


def write_dataset_json(path: Path, domain: Domain, study: Study) -> None:
    text = json.dumps(document(domain, study), ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Dataset:
    """A Dataset-JSON file as the checker reads it: metadata and rows as dicts."""

    name: str
    label: str
    columns: Sequence[Mapping[str, Any]]
    rows: Sequence[Mapping[str, Any]]
    path: Path

    @property
    def variables(self) -> list[str]:
        return [c["name"] for c in self.columns]

    def keys(self) -> list[str]:
        keyed = [c for c in self.columns if "keySequence" in c]
        return [c["name"] for c in sorted(keyed, key=lambda c: c["keySequence"])]


def read_dataset(path: Path) -> Dataset:
    data = json.loads(path.read_text(encoding="utf-8"))
    names = [c["name"] for c in data["columns"]]
    rows = [dict(zip(names, row, strict=True)) for row in data.get("rows", [])]
    return Dataset(data["name"], data.get("label", ""), data["columns"], rows, path)
