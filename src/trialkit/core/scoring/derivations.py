"""The derivation functions protocol forms may name (``Derivation.function``), by name.

A derived item is computed from entered items of the same form: the protocol maps each of the
function's parameters to one of its items (``inputs``), so the function knows no form. When
the protocol names a ``check_against`` item, ``Derived.check`` compares the entered value
with the computed one. A protocol naming a function missing here, or giving it other
parameters, is refused at load (protocol/consistency.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from trialkit.core.scoring.checks import EditCheck, ScoringInputError, compare
from trialkit.core.scoring.edss import FunctionalSystems, neurostatus_edss
from trialkit.core.wording import Wording, gettext_noop, worded

__all__ = [
    "Derived",
    "RegisteredDerivation",
    "UnknownDerivationError",
    "derivation",
    "derive",
    "known_derivations",
]


@dataclass(frozen=True)
class Derived:
    value: float
    wording: Wording
    """How the value was computed, as a catalogue template."""
    judgement_band: tuple[float, float] | None = None
    """Entered values inside this band are rater judgement (a note), not a disagreement."""

    @property
    def explanation(self) -> str:
        return self.wording.text

    def check(self, entered: object, item: str) -> EditCheck:
        """The entered ``item`` against this value; ``opens_query`` says whether to query."""
        if (isinstance(entered, bool) or not isinstance(entered, int | float | Decimal)
                or not math.isfinite(entered)):
            raise ScoringInputError(item, f"must be a number to compare, got {entered!r}")
        return compare(float(entered), self.value, self.judgement_band,
                       worded(gettext_noop("Entered %(item)s"), item=item))


DerivationFunction = Callable[[Mapping[str, object]], "Derived"]


@dataclass(frozen=True)
class RegisteredDerivation:
    function: DerivationFunction
    inputs: tuple[str, ...] | None
    """The function's parameters, in order; None = any number of parameters (``sum``)."""
    description: str


class UnknownDerivationError(LookupError):
    def __init__(self, name: str) -> None:
        known = ", ".join(sorted(_REGISTRY))
        super().__init__(f"unknown derivation function '{name}' (expected one of: {known})")
        self.name = name


_FUNCTIONAL_SYSTEMS = ("pyramidal", "cerebellar", "brainstem", "sensory", "bowel_bladder",
                       "visual", "cerebral")
_EDSS_INPUTS = (*_FUNCTIONAL_SYSTEMS, "ambulation")


def _require(values: Mapping[str, object], inputs: tuple[str, ...], what: str) -> None:
    missing = [name for name in inputs if values.get(name) is None]
    if missing:
        raise ScoringInputError(missing[0], f"is needed to compute {what} (missing: "
                                             f"{', '.join(missing)})")


def _neurostatus_edss(values: Mapping[str, object]) -> Derived:
    _require(values, _EDSS_INPUTS, "the EDSS")
    fs = FunctionalSystems.from_entered({name: values[name] for name in _FUNCTIONAL_SYSTEMS})
    result = neurostatus_edss(fs, values["ambulation"])
    return Derived(result.score, result.said, result.judgement_band)


def _sum(values: Mapping[str, object]) -> Derived:
    total = Decimal(0)
    for name, value in values.items():
        if value is None:
            raise ScoringInputError(name, "is needed to compute the total")
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise ScoringInputError(name, f"must be a number, got {value!r}")
        total += Decimal(str(value))
    return Derived(float(total), worded(gettext_noop("sum of %(items)s"),
                                        items=", ".join(values)))


_REGISTRY: Mapping[str, RegisteredDerivation] = MappingProxyType({
    "neurostatus_edss": RegisteredDerivation(
        _neurostatus_edss, _EDSS_INPUTS,
        "Neurostatus EDSS from the seven FS grades (visual and bowel/bladder raw) and the "
        "Neurostatus ambulation score 0-16"),
    "sum": RegisteredDerivation(
        _sum, None, "The total of its inputs (e.g. a scale's item scores); every input is "
                    "needed"),
})


def known_derivations() -> frozenset[str]:
    return frozenset(_REGISTRY)


def derivation(name: str) -> RegisteredDerivation:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownDerivationError(name) from None


def derive(name: str, inputs: Mapping[str, str], values: Mapping[str, object]) -> Derived:
    """The derived value of the function ``name`` from a form's entered ``values``; ``inputs``
    maps each parameter to the item that supplies it. An input problem names the item."""
    try:
        return derivation(name).function({param: values.get(item)
                                           for param, item in inputs.items()})
    except ScoringInputError as exc:
        # Name the form's item, which is what the person entering data sees.
        raise ScoringInputError(inputs.get(exc.field, exc.field), exc.detail) from exc
