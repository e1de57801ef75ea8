"""The analysis oracles' data, read once per session (see tests/fixtures/analysis/PROVENANCE.md)."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import FIXTURES
from trialkit.core.analysis import Table, read_dataset_json

ANALYSIS = FIXTURES / "analysis"
R_OUTPUT = ANALYSIS / "r"


def read_json_gz(name: str) -> Any:
    with gzip.open(ANALYSIS / name, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def number(text: str) -> float | None:
    """R's CSV output: "NA" is missing."""
    return None if text in ("NA", "") else float(text)


def table_of(rows: list[dict[str, str]], text: tuple[str, ...], numeric: tuple[str, ...]
             ) -> Table:
    columns: dict[str, object] = {name: [row[name] for row in rows] for name in text}
    for name in numeric:
        columns[name] = np.array([float(row[name]) if row[name] not in ("", "NA") else np.nan
                                  for row in rows])
    return Table(columns)


@pytest.fixture(scope="session")
def adsl() -> Table:
    return read_dataset_json(read_json_gz("adsl.json.gz"))


@pytest.fixture(scope="session")
def adae() -> Table:
    return read_dataset_json(read_json_gz("adae.json.gz"))


@pytest.fixture(scope="session")
def adadas() -> Table:
    return read_dataset_json(read_json_gz("adadas-actot.json.gz"))


@pytest.fixture(scope="session")
def ars() -> dict[str, Any]:
    return read_json_gz("ars-common-safety-displays-an07.json.gz")


@pytest.fixture(scope="session")
def fev() -> Table:
    rows = read_csv(ANALYSIS / "fev_data.csv")
    return table_of(rows, ("USUBJID", "AVISIT", "ARMCD", "SEX", "RACE"), ("FEV1", "FEV1_BL"))
