"""Read a CDISC Dataset-JSON 1.1 dataset (the JSON form, not NDJSON) into a ``Table``.

Types follow the ``Table`` conventions: ``string``/``URI``/``time``/``datetime`` become text
(``null`` → ``""``); ``integer``, ``float``, ``double`` and ``decimal`` (a string in 1.1)
become float64 (``null`` → NaN); ``boolean`` becomes float64 1/0; ``date`` becomes
``datetime64[D]``. Validation against the schema is the writer's job (trialkit.interop).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trialkit.core.analysis.table import AnalysisInputError, Array, Table

_NUMERIC = {"integer", "float", "double", "decimal", "boolean"}


def read_dataset_json(source: Path | str | Mapping[str, Any]) -> Table:
    """A Dataset-JSON 1.1 dataset, given as a path, a JSON string or the parsed mapping."""
    data = _load(source)
    version = str(data.get("datasetJSONVersion", ""))
    if not version.startswith("1.1"):
        raise AnalysisInputError(f"datasetJSONVersion: expected 1.1.x, got '{version}'")
    columns: Sequence[Mapping[str, Any]] = data["columns"]
    rows: Sequence[Sequence[Any]] = data.get("rows", [])
    for number, row in enumerate(rows, start=1):
        if len(row) != len(columns):
            raise AnalysisInputError(f"rows[{number}]: {len(row)} values for {len(columns)} "
                                     "columns")
    return Table({column["name"]: _column(column, [row[i] for row in rows])
                  for i, column in enumerate(columns)})


def _load(source: Path | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    if isinstance(source, Path):
        source = source.read_text(encoding="utf-8")
    loaded: Mapping[str, Any] = json.loads(source)
    return loaded


def _column(column: Mapping[str, Any], values: list[Any]) -> Array:
    kind = column["dataType"]
    convert = _CONVERTERS.get("numeric" if kind in _NUMERIC else kind, _text)
    return convert(values)


def _numeric(values: list[Any]) -> Array:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _date(values: list[Any]) -> Array:
    return np.array([np.datetime64("NaT") if v in (None, "") else np.datetime64(v, "D")
                     for v in values], dtype="datetime64[D]")


def _text(values: list[Any]) -> Array:
    return np.array(["" if v is None else str(v) for v in values], dtype=object)


_CONVERTERS: dict[str, Callable[[list[Any]], Array]] = {"numeric": _numeric, "date": _date}
