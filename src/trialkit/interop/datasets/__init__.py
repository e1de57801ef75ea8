"""Analysis datasets written as CDISC Dataset-JSON 1.1, SAS transport v5 and Parquet.

``FORMATS`` is the registry: a format's name, file suffix and writer. Every writer takes the
same arguments — the dataset's table, its metadata and the stamp of the run — and writes the
same bytes for the same data (no clock is read: dates are the data's as-of date).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from trialkit.core.analysis.table import Table
from trialkit.core.reporting.stamp import Stamp
from trialkit.interop.datasets.writers import (
    DatasetMeta,
    write_dataset_json,
    write_parquet,
    write_transport,
)

Writer = Callable[[Path, Table, DatasetMeta, Stamp], None]


@dataclass(frozen=True)
class DatasetFormat:
    name: str
    suffix: str
    media_type: str
    write: Writer


FORMATS: dict[str, DatasetFormat] = {
    "dataset-json": DatasetFormat("CDISC Dataset-JSON 1.1", ".json", "application/json",
                                  write_dataset_json),
    "xpt": DatasetFormat("SAS transport (XPORT) v5", ".xpt", "application/octet-stream",
                         write_transport),
    "parquet": DatasetFormat("Apache Parquet", ".parquet", "application/vnd.apache.parquet",
                             write_parquet),
}

__all__ = ["FORMATS", "DatasetFormat", "DatasetMeta", "Writer"]
