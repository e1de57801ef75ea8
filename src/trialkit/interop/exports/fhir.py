"""FHIR R4 exports: the study for a hospital's research registry, its subjects, and each
participant's screening data (implementation: ``trialkit.interop.fhir_export``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trialkit.core.exchange import ExchangeRows
from trialkit.core.protocol import Protocol
from trialkit.core.wording import gettext_noop as _  # marks for the catalogue
from trialkit.interop.exports._export import Export, ExportError
from trialkit.interop.fhir_export import (
    bundle_problems,
    screening_bundles,
    study_bundle,
    subjects_bundle,
)
from trialkit.interop.fhir_export._common import fhir_id

_MEDIA = "application/fhir+json"


def _dump(path: Path, bundle: dict[str, Any]) -> Path:
    path.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _needs(rows: ExchangeRows | None, name: str) -> ExchangeRows:
    if rows is None:
        raise ExportError(f"{name} is written from the trial's data: give the rows")
    return rows


def _write_study(protocol: Protocol, rows: ExchangeRows | None, out: Path) -> Sequence[Path]:
    return [_dump(out, study_bundle(protocol))]


def _write_subjects(protocol: Protocol, rows: ExchangeRows | None, out: Path) -> Sequence[Path]:
    return [_dump(out, subjects_bundle(protocol, _needs(rows, "fhir-subjects")))]


def _write_screening(protocol: Protocol, rows: ExchangeRows | None,
                     out: Path) -> Sequence[Path]:
    bundles = screening_bundles(protocol, _needs(rows, "fhir-screening"))
    out.mkdir(parents=True, exist_ok=True)
    return [_dump(out / f"{fhir_id(number)}.json", bundle)
            for number, bundle in sorted(bundles.items())]


def _validate(path: Path) -> Sequence[str]:
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    problems: list[str] = []
    for file in files:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{file.name}: not JSON ({exc})")
            continue
        problems += bundle_problems(data, file.name)
    return problems


EXPORTS = (
    Export(
        name="fhir-study", title=_("FHIR R4 ResearchStudy (Bundle)"),
        description=_("The study as a hospital's FHIR server or research registry reads it: "
                      "ResearchStudy with phase, arms, conditions and sites, the eligibility "
                      "criteria as a Group, the sponsor and the sites as Locations."),
        layout="file", suffix=".json", media_type=_MEDIA, needs_data=False,
        write=_write_study, validate=_validate, describes_arms=True),
    Export(
        name="fhir-subjects", title=_("FHIR R4 ResearchSubjects (Bundle)"),
        description=_("Who is in the study and in what state, as ResearchSubjects of "
                      "pseudonymous Patients (screening numbers); the arms only for a reader "
                      "who may see them."),
        layout="file", suffix=".json", media_type=_MEDIA, needs_data=True,
        write=_write_subjects, validate=_validate),
    Export(
        name="fhir-screening", title=_("FHIR R4 screening data (a Bundle per participant)"),
        description=_("Each participant's screening record (demographics, diagnoses, labs, "
                      "medications, consent, attestations) as a patient Bundle a hospital system "
                      "or trialkit's own FHIR reader reads back."),
        layout="folder", suffix=".zip", media_type="application/zip", needs_data=True,
        write=_write_screening, validate=_validate),
)
