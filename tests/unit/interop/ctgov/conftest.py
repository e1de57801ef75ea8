"""Paths to the registry fixtures (see tests/fixtures/ctgov/PROVENANCE.md)."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import FIXTURES

CTGOV = FIXTURES / "ctgov"
JSON_RECORDS = ["NCT02210780.json", "NCT04207047.json", "NCT04047628.json", "NCT06408259.json"]
XML_RECORD = "NCT03424005.xml"


def load_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CTGOV / name).read_text(encoding="utf-8"))
    return data
