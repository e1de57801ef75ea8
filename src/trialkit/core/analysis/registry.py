"""What a named method is: its datasets, its parameters as data, and their checking.

The catalogue of methods (``catalogue.method("ancova")``) is built from these.

The input contract: a method reads one or more datasets, each a ``Table`` given under a
*role* (``data``; or ``subjects`` and ``events`` for safety tables), and keyword
parameters given as plain data (strings, numbers, lists, mappings), as YAML or JSON holds
them. ``Method.run`` checks them before calling: unknown or missing parameters, columns
absent from their dataset, and values of the wrong kind are refused with a message naming
the parameter; conditions (ARS-like where clauses) and pair lists are converted to their
types. Each method documents its parameters and the oracle test that proves it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from trialkit.core.analysis.registry_kinds import COERCERS, Kind
from trialkit.core.analysis.table import AnalysisInputError, Table


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: Kind
    doc: str
    required: bool = False
    role: str = "data"
    """For columns: the dataset role that must hold them."""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Method:
    name: str
    summary: str
    inputs: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    function: Callable[..., Any] | str
    """The implementation, or its ``module:name`` (imported on first run, so reading the
    catalogue — as loading a protocol does — costs no scipy import)."""
    oracle: str
    """The test module proving the method against published or independent results."""

    def run(self, datasets: Mapping[str, Table], parameters: Mapping[str, Any]) -> Any:
        missing_roles = [role for role in self.inputs if role not in datasets]
        if missing_roles:
            raise AnalysisInputError(f"{self.name}: dataset(s) {', '.join(missing_roles)} "
                                     "not given")
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(parameters) - set(known))
        if unknown:
            raise AnalysisInputError(f"{self.name}: unknown parameter(s) {', '.join(unknown)}"
                                     f" (known: {', '.join(known)})")
        arguments = {}
        for spec in self.parameters:
            if spec.name not in parameters:
                if spec.required:
                    raise AnalysisInputError(f"{self.name}.{spec.name}: required")
                continue
            arguments[spec.name] = _coerce(self.name, spec, parameters[spec.name],
                                           datasets.get(spec.role))
        return self.implementation()(*(datasets[role] for role in self.inputs), **arguments)

    def implementation(self) -> Callable[..., Any]:
        if not isinstance(self.function, str):
            return self.function
        module, name = self.function.split(":")
        found: Callable[..., Any] = getattr(importlib.import_module(module), name)
        return found


def _coerce(method: str, spec: Parameter, value: Any, table: Table | None) -> Any:
    return COERCERS[spec.kind](f"{method}.{spec.name}", spec, value, table)
