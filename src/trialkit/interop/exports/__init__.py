"""The one registry of standards exports: every format trialkit writes for another system.

Each module of this package declares ``EXPORTS``, a tuple of :class:`Export`; ``EXPORTS`` here
is their union, keyed by name, found by listing the package (a new format is a new module, no
edit elsewhere). The command line (``trialkit export FORMAT``), the API
(``/api/exports/standards/FORMAT``) and the data manager's page (``/exports/``) all read this
registry, so the three always offer the same formats.

A writer reads only its arguments: the protocol and, for a format that carries data, the
neutral rows of ``trialkit.core.exchange`` read for one actor as of one day. Blinding is the
rows' business: rows read for a blinded actor carry no allocation, and a writer must then write
nothing that differs by arm. A writer writes a file, or a folder for a format of several files
(``Export.layout``), and returns the paths it wrote; its ``validate`` returns the problems an
independent checker (an official schema, a validating library) finds in what was written, and
an empty list when there are none.
"""

from __future__ import annotations

import importlib
import pkgutil

from trialkit.interop.exports._export import Export, ExportError, Validator, Writer


def _discover() -> dict[str, Export]:
    found: dict[str, Export] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for export in getattr(module, "EXPORTS", ()):
            if export.name in found:
                raise RuntimeError(f"two exports are named {export.name!r}")
            found[export.name] = export
    return dict(sorted(found.items()))


EXPORTS: dict[str, Export] = _discover()

__all__ = ["EXPORTS", "Export", "ExportError", "Validator", "Writer"]
