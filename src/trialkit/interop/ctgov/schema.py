"""The registry's own schema for API v2 study records, as a JSON Schema validator.

ClinicalTrials.gov publishes API v2 as an OpenAPI 3.0.3 document (bundled beside this module as
``ctg-oas-v2.yaml``; provenance in ``PROVENANCE.md``). OpenAPI 3.0 schemas are a dialect of
JSON Schema draft 4/5, so they are converted before the ``jsonschema`` package can use them:

* ``$ref: '#/components/schemas/X'`` becomes ``$ref: '#/$defs/X'``;
* ``nullable: true`` adds ``"null"`` to ``type`` (and ``None`` to an ``enum``);
* boolean ``exclusiveMinimum``/``exclusiveMaximum`` (draft 4) become numeric bounds;
* annotations JSON Schema does not know (``example``, ``xml``, ``discriminator``,
  ``externalDocs``) are dropped.

``closed=True`` additionally forbids keys a schema object does not declare. The registry's
schema leaves objects open, so a misspelt key (``phase`` for ``phases``) would pass; the closed
form lets tests catch that in records we write.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker

SPEC_PATH = Path(__file__).with_name("ctg-oas-v2.yaml")
_REF_PREFIX = "#/components/schemas/"
_DROPPED = frozenset({"example", "examples", "xml", "discriminator", "externalDocs"})


def json_schema_from_openapi(document: Mapping[str, Any], root: str, *,
                             closed: bool = False) -> dict[str, Any]:
    """A self-contained JSON Schema (2020-12) for ``components/schemas/<root>``."""
    components = document.get("components", {}).get("schemas", {})
    if root not in components:
        raise KeyError(f"the OpenAPI document has no schema '{root}'")
    defs = {name: _convert(schema, closed) for name, schema in components.items()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": f"#/$defs/{root}",
        "$defs": defs,
    }


def _convert(node: Any, closed: bool) -> Any:
    if isinstance(node, list):
        return [_convert(item, closed) for item in node]
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED or key == "nullable":
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith(_REF_PREFIX):
            out[key] = "#/$defs/" + value[len(_REF_PREFIX):]
        elif key == "properties" and isinstance(value, Mapping):
            # Property names are data, not keywords: convert only their schemas.
            out[key] = {name: _convert(sub, closed) for name, sub in value.items()}
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            continue  # handled below, together with minimum/maximum
        else:
            out[key] = _convert(value, closed)
    _exclusive_bounds(node, out)
    if node.get("nullable") is True:
        _allow_null(out)
    if closed and out.get("type") == "object" and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def _exclusive_bounds(node: Mapping[str, Any], out: dict[str, Any]) -> None:
    for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if node.get(flag) is True and bound in out:
            out[flag] = out.pop(bound)


def _allow_null(out: dict[str, Any]) -> None:
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        out["type"] = [*kind, "null"]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    if "$ref" in out:
        # A sibling of $ref cannot widen the referenced schema, so wrap it.
        out["anyOf"] = [{"$ref": out.pop("$ref")}, {"type": "null"}]


@lru_cache(maxsize=4)
def _validator(spec_path: Path, root: str, closed: bool) -> Draft202012Validator:
    document = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    schema = json_schema_from_openapi(document, root, closed=closed)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def study_validator(*, closed: bool = False, spec_path: Path = SPEC_PATH) -> Draft202012Validator:
    """Validator for one API v2 study record (``#/components/schemas/Study``)."""
    return _validator(spec_path, "Study", closed)


def study_errors(record: Any, *, closed: bool = False) -> list[str]:
    """Every way ``record`` breaks the Study schema, as ``path: message`` lines (empty = valid)."""
    errors = study_validator(closed=closed).iter_errors(record)
    return sorted(f"{error.json_path}: {error.message}" for error in errors)
