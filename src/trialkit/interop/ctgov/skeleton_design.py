"""The design section of a skeleton: type, phases, masking, arms, interventions, one part."""

from __future__ import annotations

from typing import Any

from trialkit.interop.ctgov._record import REVIEW, Notes, Record, slug

NO_DESCRIPTION = "Not given in the registry record."
_PHASE_ORDER = ("EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4")
# API v2 writes an arm's interventions as "<Type>: <name>", e.g. "Drug: Placebo".
TYPE_LABELS = {
    "BEHAVIORAL": "Behavioral", "BIOLOGICAL": "Biological",
    "COMBINATION_PRODUCT": "Combination Product", "DEVICE": "Device",
    "DIAGNOSTIC_TEST": "Diagnostic Test", "DIETARY_SUPPLEMENT": "Dietary Supplement",
    "DRUG": "Drug", "GENETIC": "Genetic", "PROCEDURE": "Procedure", "RADIATION": "Radiation",
    "OTHER": "Other",
}


def design(record: Record, notes: Notes) -> dict[str, Any]:
    interventions, names = _interventions(record, notes)
    arms = _arms(record, interventions, names, notes)
    info = record.get("designModule.designInfo") or {}
    out: dict[str, Any] = {
        "study_type": record.text("designModule.studyType"),
        "phases": list(record.items("designModule.phases")),
        "primary_purpose": _or_default(info.get("primaryPurpose"), "OTHER", "primary-purpose",
                                       "design.primary_purpose", notes),
        "allocation": _or_default(info.get("allocation"), "NA", "allocation",
                                  "design.allocation", notes),
        "intervention_model": _or_default(
            info.get("interventionModel"), "SINGLE_GROUP" if len(arms) < 2 else "PARALLEL",
            "intervention-model", "design.intervention_model", notes),
        "masking": _masking(info.get("maskingInfo"), notes),
        "enrolment": _enrolment(record, notes),
    }
    out["parts"] = _parts(out, arms, notes)
    out["arms"] = arms
    out["interventions"] = interventions
    return out


def _or_default(value: Any, default: str, ident: str, path: str, notes: Notes) -> Any:
    if value is not None:
        return value
    notes.assume(f"import-{ident}", f"{path} is {default}.", [path])
    return default


def _masking(info: Any, notes: Notes) -> dict[str, Any]:
    if not isinstance(info, dict) or "masking" not in info:
        notes.assume("import-masking", "The study is open-label (masking NONE).",
                     ["design.masking"])
        return {"level": "NONE"}
    masking: dict[str, Any] = {"level": info["masking"]}
    if info["masking"] != "NONE" and info.get("whoMasked"):
        masking["who_masked"] = list(info["whoMasked"])
    if info.get("maskingDescription"):
        masking["description"] = info["maskingDescription"]
    return masking


def _enrolment(record: Record, notes: Notes) -> dict[str, Any]:
    kind = record.text("designModule.enrollmentInfo.type")
    if kind is None:
        kind = "ESTIMATED"
        notes.assume("import-enrolment-type", "The enrolment count is an estimate.",
                     ["design.enrolment.type"])
    return {"count": record.get("designModule.enrollmentInfo.count"), "type": kind}


def _interventions(record: Record,
                   notes: Notes) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Interventions, plus for each intervention id the arm labels the record links it to."""
    out: list[dict[str, Any]] = []
    labels: dict[str, list[str]] = {}
    taken: set[str] = set()
    for raw in record.items("armsInterventionsModule.interventions"):
        name = (raw.get("name") or "").strip()
        if not name:
            continue
        ident = slug(name, prefix="intervention", taken=taken)
        item: dict[str, Any] = {"id": ident, "name": name, "type": raw.get("type") or "OTHER",
                                "description": (raw.get("description") or "").strip()}
        if not item["description"]:
            item["description"] = NO_DESCRIPTION
            notes.assume(f"import-description-{ident}",
                         f"Intervention '{name}' has no description in the record.",
                         [f"design.interventions[{ident}].description"])
        if raw.get("otherNames"):
            item["other_names"] = list(raw["otherNames"])
        out.append(item)
        labels[ident] = list(raw.get("armGroupLabels") or [])
    return out, labels


def _arms(record: Record, interventions: list[dict[str, Any]], labels: dict[str, list[str]],
          notes: Notes) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    taken: set[str] = set()
    for raw in record.items("armsInterventionsModule.armGroups"):
        label = (raw.get("label") or "").strip()
        if not label:
            continue
        ident = slug(label, prefix="arm", taken=taken)
        named = set(raw.get("interventionNames") or [])
        given = [i["id"] for i in interventions
                 if label in labels[i["id"]] or _display(i) in named or i["name"] in named]
        arm = {"id": ident, "label": label, "type": raw.get("type") or "OTHER",
               "description": (raw.get("description") or "").strip() or NO_DESCRIPTION,
               "interventions": given}
        if arm["description"] == NO_DESCRIPTION:
            notes.assume(f"import-description-{ident}",
                         f"Arm '{label}' has no description in the record.",
                         [f"design.arms[{ident}].description"])
        out.append(arm)
    return out


def _display(intervention: dict[str, Any]) -> str:
    return f"{TYPE_LABELS.get(intervention['type'], 'Other')}: {intervention['name']}"


def _parts(design: dict[str, Any], arms: list[dict[str, Any]],
           notes: Notes) -> list[dict[str, Any]]:
    """A registry record has no parts: every arm goes into one part holding the whole study."""
    if not arms:
        return []
    phases = [p for p in _PHASE_ORDER if p in design["phases"]]
    allocation = design["allocation"]
    if allocation == "RANDOMIZED" and len(arms) < 2:
        allocation = "NON_RANDOMIZED"
    part = {"id": "main", "name": "Whole study", "phase": phases[-1] if phases else "NA",
            "arms": [arm["id"] for arm in arms],
            "enrolment_target": design["enrolment"]["count"], "allocation": allocation,
            "masking": {k: v for k, v in design["masking"].items() if k != "description"}}
    notes.assume(
        "import-parts",
        f"The study is one part ('main', phase {part['phase']}) holding every arm, with the "
        f"whole enrolment ({part['enrolment_target']}), allocation {allocation} and the "
        "study's masking. Split it into parts (e.g. per phase) where the protocol does.",
        ["design.parts[main]"])
    if design["intervention_model"] == "CROSSOVER" and len(arms) >= 2:
        _crossover_defaults(part, notes)
    return [part]


def _crossover_defaults(part: dict[str, Any], notes: Notes) -> None:
    """A crossover record names its arms but not the periods or the order of treatments: one
    period per arm, and one sequence per cyclic rotation of the arms (AB/BA for two), so each
    arm comes once in every period."""
    arms = part["arms"]
    part["periods"] = [{"id": f"P{i + 1}", "name": f"Period {i + 1}"} for i in range(len(arms))]
    part["sequences"] = [{"id": f"seq{k + 1}", "label": " then ".join(arms[k:] + arms[:k]),
                          "arms": arms[k:] + arms[:k]} for k in range(len(arms))]
    notes.assume(
        "import-crossover",
        f"The crossover has {len(arms)} periods, one per arm, and {len(arms)} sequences, the "
        "cyclic rotations of the arms, with no washout. Replace them with the protocol's own "
        "periods, sequences and washout.",
        ["design.parts[main].periods", "design.parts[main].sequences"])


def randomization(design: dict[str, Any], notes: Notes) -> dict[str, Any] | None:
    """A default 1:1:... permuted-block list for the randomized part, if there is one."""
    part = next((p for p in design["parts"] if p["allocation"] == "RANDOMIZED"), None)
    if part is None:
        return None
    # A crossover randomizes participants to sequences, a parallel design to arms.
    units = [s["id"] for s in part.get("sequences", [])] or part["arms"]
    n = len(units)
    result = {"part": part["id"], "ratio": dict.fromkeys(units, 1),
              "method": "permuted_blocks", "permuted_blocks": {"block_sizes": [n, 2 * n]}}
    what = "sequences" if part.get("sequences") else "arms"
    notes.assume(
        "import-randomization",
        f"Equal allocation to the {n} {what}, unstratified, in permuted blocks of randomly "
        f"mixed sizes {n} and {2 * n}.",
        ["randomization.ratio", "randomization.method", "randomization.permuted_blocks"],
        rationale="The record says the study is randomized but not how. " + REVIEW)
    return result

