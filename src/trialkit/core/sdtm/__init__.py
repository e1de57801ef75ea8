"""SDTM domains derived from the protocol and the neutral exchange rows.

Every module here declares ``BUILDERS`` (functions of a :class:`Context` returning domains);
``derive_domains`` runs them all and returns the domains sorted by name. A new domain is a new
builder; nothing else changes. Writing (XPT, Dataset-JSON, Define-XML) is
``trialkit.interop``'s business.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence

from trialkit.core.exchange import ExchangeRows
from trialkit.core.protocol import Protocol
from trialkit.core.sdtm.common import Context, Domain, Variable, iso_date, with_sequence

Builder = Callable[[Context], Sequence[Domain]]


def builders() -> list[Builder]:
    found: list[Builder] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name == "common" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(getattr(module, "BUILDERS", ()))
    return found


def derive_domains(protocol: Protocol, rows: ExchangeRows) -> list[Domain]:
    context = Context(protocol, rows)
    domains = [d for build in builders() for d in build(context)]
    names = [d.name for d in domains]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise RuntimeError(f"two builders made domain(s) {', '.join(duplicated)}")
    return sorted(domains, key=lambda d: d.name)


__all__ = ["Builder", "Context", "Domain", "Variable", "builders", "derive_domains", "iso_date",
           "with_sequence"]
