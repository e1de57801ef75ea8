"""The three dataset writers of the registry in ``__init__``."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from trialkit.core.analysis.table import Table
from trialkit.core.reporting.stamp import Stamp
from trialkit.interop.datasets.xpt import Column, write_xpt

DATASET_JSON_VERSION = "1.1.0"


@dataclass(frozen=True)
class DatasetMeta:
    name: str
    label: str
    labels: Mapping[str, str]
    """Variable → label."""
    keys: tuple[str, ...] = ("STUDYID", "USUBJID")


def _kind(values: np.ndarray) -> str:
    if values.dtype.kind == "M":
        return "date"
    if values.dtype.kind in "biuf":
        return "numeric"
    return "text"


def _cell(value: Any, kind: str) -> Any:
    if kind == "date":
        return None if np.isnat(value) else str(value.astype("datetime64[D]"))
    if kind == "numeric":
        number = float(value)
        if math.isnan(number):
            return None
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return "" if value is None else str(value)


def write_dataset_json(path: Path, table: Table, meta: DatasetMeta, stamp: Stamp) -> None:
    kinds = {name: _kind(table[name]) for name in table.names}
    columns = []
    for name in table.names:
        column: dict[str, Any] = {"itemOID": f"IT.{meta.name}.{name}", "name": name,
                                  "label": meta.labels.get(name, name)}
        if kinds[name] == "date":
            column.update(dataType="date", targetDataType="integer", displayFormat="DATE9.")
        elif kinds[name] == "numeric":
            column["dataType"] = "double"
        else:
            column["dataType"] = "string"
            column["length"] = max([1, *(len(v) for v in table.text(name))])
        if name in meta.keys:
            column["keySequence"] = meta.keys.index(name) + 1
        columns.append(column)
    rows = [[_cell(table[name][i], kinds[name]) for name in table.names]
            for i in range(table.n_rows)]
    moment = f"{stamp.as_of.isoformat()}T00:00:00"
    document = {
        "datasetJSONCreationDateTime": moment, "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": f"trialkit/{stamp.protocol_id}/{stamp.protocol_version}/{stamp.as_of}/"
                   f"{stamp.view}/{stamp.data_sha256}/{meta.name}",
        "dbLastModifiedDateTime": moment, "originator": "trialkit",
        "sourceSystem": {"name": "trialkit", "version": stamp.code_version},
        "studyOID": stamp.protocol_id, "metaDataVersionOID": stamp.protocol_version,
        "itemGroupOID": f"IG.{meta.name}", "records": table.n_rows, "name": meta.name,
        "label": meta.label, "columns": columns, "rows": rows}
    path.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":"),
                               allow_nan=False) + "\n", encoding="utf-8")


def write_transport(path: Path, table: Table, meta: DatasetMeta, stamp: Stamp) -> None:
    columns = [Column(name, meta.labels.get(name, name)[:40], _kind(table[name]))
               for name in table.names]
    write_xpt(path, table, columns, name=meta.name, label=meta.label[:40],
              stamp_date=stamp.as_of, version=stamp.code_version)


def write_parquet(path: Path, table: Table, meta: DatasetMeta, stamp: Stamp) -> None:
    arrays, fields = [], []
    for name in table.names:
        values, kind = table[name], _kind(table[name])
        if kind == "date":
            array = pa.array(values.astype("datetime64[D]"), type=pa.date32())
        elif kind == "numeric":
            array = pa.array(values.astype(np.float64), type=pa.float64(), from_pandas=True)
        else:
            array = pa.array([str(v) for v in table.text(name)], type=pa.string())
        arrays.append(array)
        fields.append(pa.field(name, array.type, metadata={
            "label": meta.labels.get(name, name)}))
    schema = pa.schema(fields, metadata={"trialkit": json.dumps(
        {"dataset": meta.name, "label": meta.label, **stamp.as_data()}, sort_keys=True)})
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), path)
