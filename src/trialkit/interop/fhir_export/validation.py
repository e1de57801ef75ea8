"""The independent check of a written Bundle: ``fhir.resources`` parses every resource.

``fhir.resources`` ships R4B models (``fhir.resources.R4B``), which read the R4 resources these
exports write (Bundle, ResearchStudy, ResearchSubject, Group, Patient, Organization, Location,
Condition, Observation, MedicationStatement, Consent): their elements are the same in both
releases. A problem names the element path the library rejected.

The library checks structure and cardinality but not the code values of required bindings, so
the codes these resources use are checked against the R4 value sets, copied below as data from
the specification (hl7.org/fhir/R4/valueset-*.html).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

REQUIRED_CODES: dict[tuple[str, str], frozenset[str]] = {
    ("Bundle", "type"): frozenset({
        "document", "message", "transaction", "transaction-response", "batch",
        "batch-response", "history", "searchset", "collection"}),
    ("ResearchStudy", "status"): frozenset({
        "active", "administratively-completed", "approved", "closed-to-accrual",
        "closed-to-accrual-and-intervention", "completed", "disapproved", "in-review",
        "temporarily-closed-to-accrual", "temporarily-closed-to-accrual-and-intervention",
        "withdrawn"}),
    ("ResearchSubject", "status"): frozenset({
        "candidate", "eligible", "follow-up", "ineligible", "not-registered", "off-study",
        "on-study", "on-study-intervention", "on-study-observation", "pending-on-study",
        "potential-candidate", "screening", "withdrawn"}),
    ("Group", "type"): frozenset({
        "person", "animal", "practitioner", "device", "medication", "substance"}),
    ("Patient", "gender"): frozenset({"male", "female", "other", "unknown"}),
    ("Location", "status"): frozenset({"active", "suspended", "inactive"}),
    ("Observation", "status"): frozenset({
        "registered", "preliminary", "final", "amended", "corrected", "cancelled",
        "entered-in-error", "unknown"}),
    ("Consent", "status"): frozenset({
        "draft", "proposed", "active", "rejected", "inactive", "entered-in-error"}),
    ("MedicationStatement", "status"): frozenset({
        "active", "completed", "entered-in-error", "intended", "stopped", "on-hold", "unknown",
        "not-taken"}),
}
"""(resource type, element) → the codes of its required binding in FHIR R4."""


def bundle_problems(data: object, where: str = "") -> list[str]:
    """Problems ``fhir.resources`` finds in a Bundle (decoded JSON); empty when it is valid."""
    from fhir.resources.R4B.bundle import Bundle  # slow import: only when FHIR is used

    prefix = f"{where}: " if where else ""
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        return [f"{prefix}not a FHIR Bundle"]
    try:
        Bundle.model_validate(data)
    except ValidationError as exc:
        return [f"{prefix}{_path(e['loc'])}: {e['msg']}" for e in exc.errors()]
    return [prefix + problem for problem in _code_problems(data)]


def _code_problems(bundle: dict[str, Any]) -> list[str]:
    """Codes outside their required R4 value set, in the Bundle and each entry's resource."""
    problems = []
    resources = [("Bundle", bundle)] + [
        (f"entry[{i}].resource", e.get("resource") or {})
        for i, e in enumerate(bundle.get("entry") or [])]
    for where, resource in resources:
        kind = resource.get("resourceType")
        for (rtype, element), codes in REQUIRED_CODES.items():
            value = resource.get(element)
            if rtype == kind and value is not None and value not in codes:
                problems.append(f"{where}.{element}: '{value}' is not an R4 {rtype}.{element} "
                                f"code")
    return problems


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "Bundle"
