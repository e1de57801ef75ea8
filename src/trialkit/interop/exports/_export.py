"""What an export is: its name, layout, writer and validator (see the package's docstring)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from trialkit.core.exchange import ExchangeRows
from trialkit.core.protocol import Protocol

Writer = Callable[[Protocol, ExchangeRows | None, Path], Sequence[Path]]
"""Write the export at the path (a file, or a folder it creates) and return the files written."""
Validator = Callable[[Path], Sequence[str]]
"""The problems found in a written export; empty when it is valid."""
ExternalValidator = Callable[[Path, Path | None], Sequence[str]]
"""An optional validator that needs resources of the user's machine (a rules cache): its
report as lines, or one line saying why it cannot run. Never a gate of the tests."""


@dataclass(frozen=True)
class Export:
    name: str
    """The command line's FORMAT and the API's path segment (lower case, hyphens)."""
    title: str
    description: str
    """One sentence: what the file is and who uses it."""
    layout: Literal["file", "folder"]
    suffix: str
    """The file's suffix (``.xml``); for a folder, the suffix of its zip when downloaded."""
    media_type: str
    needs_data: bool
    """False for a format written from the protocol alone (metadata, dictionaries)."""
    write: Writer
    validate: Validator
    external_validator: ExternalValidator | None = None
    """Run by ``trialkit export FORMAT --validate-with-core CACHE_DIR`` (the CDISC CORE engine
    for SDTM), where the format has one."""
    describes_arms: bool = False
    """True for a format that names the design's arms or what each arm receives (a registry
    record, a FHIR ResearchStudy, SDTM's trial-design domains). Blinded readers are refused it:
    facts about the arms are concealed from them (docs/security.md), even where, as in a
    public registry record, they are not secret."""


class ExportError(ValueError):
    """An export cannot be written (its message says why); nothing was written."""
