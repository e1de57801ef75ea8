"""A submission folder: every domain as ``<name>.xpt`` and ``<name>.json`` plus ``define.xml``,
and the validation of such a folder (schemas first, then trialkit's own rules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from trialkit import __version__
from trialkit.core.exchange import ExchangeRows
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.canonical import protocol_version
from trialkit.core.sdtm import Domain, derive_domains
from trialkit.interop.sdtm.check import check_folder
from trialkit.interop.sdtm.datasetjson import Study, write_dataset_json
from trialkit.interop.sdtm.define import write_define
from trialkit.interop.sdtm.transport import write_transport
from trialkit.interop.sdtm.validate import dataset_json_errors, define_errors


def study_of(protocol: Protocol, rows: ExchangeRows) -> Study:
    version = rows.protocol_version or protocol_version(protocol)
    return Study(oid=protocol.identity.id, name=protocol.identity.id,
                 metadata_version=f"MDV.{version[:16]}",
                 created=f"{rows.as_of.isoformat()}T00:00:00", system_version=__version__)


def write_domains(folder: Path, domains: Sequence[Domain], study: Study, *,
                  description: str) -> list[Path]:
    """Write the domains that have records (an empty dataset is not submitted) and the define
    that describes exactly those."""
    folder.mkdir(parents=True, exist_ok=True)
    kept = [d for d in domains if d.rows]
    written: list[Path] = []
    for domain in kept:
        stem = domain.name.lower()
        write_dataset_json(folder / f"{stem}.json", domain, study)
        write_transport(folder / f"{stem}.xpt", domain, as_of=_as_of(study),
                        version=study.system_version)
        written += [folder / f"{stem}.json", folder / f"{stem}.xpt"]
    write_define(folder / "define.xml", kept, study, description=description)
    return [*written, folder / "define.xml"]


def _as_of(study: Study) -> dt.date:
    return dt.date.fromisoformat(study.created[:10])


def write_submission(protocol: Protocol, rows: ExchangeRows, folder: Path) -> list[Path]:
    domains = derive_domains(protocol, rows)
    return write_domains(folder, domains, study_of(protocol, rows),
                         description=protocol.identity.brief_title)


def validate_submission(folder: Path) -> list[str]:
    """Schema errors of every Dataset-JSON file and of define.xml, then the errors of
    trialkit's conformance rules (warnings are left to ``check_folder``'s full report)."""
    problems = [p for path in sorted(folder.glob("*.json")) for p in dataset_json_errors(path)]
    define = folder / "define.xml"
    problems += define_errors(define) if define.exists() else ["define.xml is missing"]
    problems += [str(f) for f in check_folder(folder) if f.severity == "error"]
    return problems
