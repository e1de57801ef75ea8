"""Reading and writing the files of `trialkit protocol upgrade`, keeping comments and layout.

The rewrite itself is ``trialkit.core.protocol.upgrade``; this module only round-trips the
YAML with ruamel.yaml (so the authors' comments survive) and checks the result loads.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from trialkit.cli.errors import UsageError
from trialkit.core.protocol import parse_protocol
from trialkit.core.protocol.upgrade import UpgradeError, upgrade


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _read(path: Path, yaml: YAML) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None


def upgrade_file(path: Path, library: Path | None) -> tuple[str, list[str]]:
    """The upgraded text of a format-1 file and the notes for its authors; the text is
    checked to load as format 2 (ProtocolError otherwise, naming file, line and column)."""
    yaml = _yaml()
    data = _read(path, yaml)
    extra = _read(library, yaml) if library is not None else None
    try:
        result = upgrade(data, extra)
    except UpgradeError as exc:
        raise UsageError(f"{path}: {exc}") from None
    out = io.StringIO()
    yaml.dump(data, out)
    text = out.getvalue()
    parse_protocol(text, source=f"{path} (upgraded)")
    return text, result.notes
