"""The criteria a pre-screen evaluates: (id, kind, node) in protocol order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from trialkit.core.eligibility import nodes as n
from trialkit.core.eligibility.units import default_catalogue
from trialkit.core.protocol.labs import LabCatalogue


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    kind: str
    node: n.Cond | None
    """None: the protocol gives no rule yet, so the criterion is always unknown."""

    def __post_init__(self) -> None:
        if self.kind not in ("inclusion", "exclusion"):
            raise ValueError(f"criterion {self.id}: kind must be inclusion or exclusion, "
                             f"not {self.kind!r}")


def criteria_of(compiled: Any) -> list[Criterion]:
    """Accept the core's compiled criteria (an ordered collection of ``(id, kind, node)``,
    directly or under ``.criteria``), or :class:`Criterion` objects."""
    items: Iterable[Any] = getattr(compiled, "criteria", compiled)
    result = []
    for item in items:
        if isinstance(item, Criterion):
            result.append(item)
        elif isinstance(item, tuple) and len(item) == 3:
            result.append(Criterion(str(item[0]), str(item[1]), item[2]))
        else:
            result.append(Criterion(str(item.id), str(item.kind), item.node))
    if not result:
        raise ValueError("no criteria to evaluate")
    ids = [c.id for c in result]
    if len(set(ids)) != len(ids):
        raise ValueError(f"criterion ids repeat: {', '.join(ids)}")
    return result


def catalogue_of(compiled: Any) -> LabCatalogue:
    """The lab catalogue compiled criteria carry (the packaged one for a bare list)."""
    catalogue = getattr(compiled, "catalogue", None)
    return catalogue if isinstance(catalogue, LabCatalogue) else default_catalogue()
