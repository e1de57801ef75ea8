"""Independent validation of a submission folder: each Dataset-JSON file against CDISC's
Dataset-JSON 1.1 schema (``jsonschema``), the define.xml against the Define-XML 2.1 schema that
``odmlib`` bundles (``xmlschema``). Our own conformance rules are ``check.py``'s business."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import xmlschema
from odmlib import schema_manager

DATASET_SCHEMA = Path(__file__).parent / "schema" / "dataset.schema.json"


@cache
def _dataset_validator() -> Any:
    schema = json.loads(DATASET_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft201909Validator(schema)


@cache
def define_schema() -> xmlschema.XMLSchema:
    """Compiling the schema takes seconds: once per process."""
    return xmlschema.XMLSchema(str(schema_manager.get_schema_path("define", "2.1")))


def dataset_json_errors(path: Path) -> list[str]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return [f"{path.name}: {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in _dataset_validator().iter_errors(document)]


def define_errors(path: Path) -> list[str]:
    return [f"{path.name}: {e.path}: {e.reason}" for e in define_schema().iter_errors(str(path))]
