"""What the three Bundles share: resource ids, entries, references and code systems."""

from __future__ import annotations

import re
import uuid
from typing import Any

Resource = dict[str, Any]

PHASE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-study-phase"
PURPOSE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-study-prim-purp-type"
SCREENING_NUMBER = "urn:trialkit:screening-number"
"""The system of a participant's pseudonymous identifier: the site's screening number."""
CRITERION = "urn:trialkit:criterion"
"""The system of a criterion's code: its id in the protocol."""

_NOT_ID = re.compile(r"[^A-Za-z0-9.-]+")
_NAMESPACE = uuid.UUID("6f1f3f1e-2c55-4a55-9d0b-7c1a4d2b9e10")
"""Namespace of the entries' deterministic ``urn:uuid`` addresses (same input, same file)."""


def fhir_id(text: str) -> str:
    """``text`` as a FHIR id (letters, digits, ``-`` and ``.``, at most 64 characters)."""
    return (_NOT_ID.sub("-", text).strip("-") or "x")[:64]


def full_url(*key: str) -> str:
    """A stable ``urn:uuid`` for the resource named by ``key`` (study id, type, local id)."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '/'.join(key))}"


def entry(url: str, resource: Resource) -> Resource:
    return {"fullUrl": url, "resource": resource}


def reference(url: str, display: str | None = None) -> Resource:
    ref: Resource = {"reference": url}
    if display:
        ref["display"] = display
    return ref


def collection(bundle_id: str, timestamp: str | None, entries: list[Resource]) -> Resource:
    """A Bundle of type ``collection`` (no transaction semantics: a receiver reads it)."""
    bundle: Resource = {"resourceType": "Bundle", "id": fhir_id(bundle_id), "type": "collection"}
    if timestamp:
        bundle["timestamp"] = timestamp
    bundle["entry"] = entries
    return bundle
