"""Units of laboratory results, read from a lab catalogue (``core/protocol/lab_catalogue.yaml``
plus the protocol's own tests).

Every unit belongs to a dimension with a factor to that dimension's base unit; converting within
a dimension multiplies by the ratio of factors. Mass and molar concentrations of one analyte
convert through its molar factor (glucose: 1 mmol/L = 18.016 mg/dL), which only the test knows.
A unit that is not in the catalogue is an error: a silent guess could turn an abnormal result
normal. UCUM spellings (as FHIR and OMOP write them) are aliases.

The batch engine repeats these conversions in SQL (``prescreen._sql.conversion_steps``) step
by step, so both engines compute bit-identical values.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from trialkit.core.protocol.labs import LabCatalogue, packaged_catalogue
from trialkit.core.protocol.record import QUANTITY_COMPANIONS

Step = tuple[str, float]
"""("*", factor) or ("/", factor), applied in order."""

# The companion columns every table with a quantity column has (the record schema checks it).
UNIT_COLUMN, TEXT_COLUMN = QUANTITY_COMPANIONS
"""The column holding a quantity's unit, on its row (``labs.unit``), and where a qualitative
result (``positive``/``negative``) given as the quantity is stored (``labs.value_text``)."""
ULN_COLUMN = "uln"
"""The result's own upper limit of normal, in its unit."""
QUALITATIVE = ("positive", "negative")


class UnitError(ValueError):
    """An unknown unit, or units that cannot be converted into each other for this test."""


@dataclass(frozen=True, slots=True)
class _Index:
    """The catalogue as lookup tables (built once per catalogue)."""

    units: dict[str, tuple[str, float]]
    aliases: dict[str, str]
    scaled: dict[str, tuple[str, float]]
    test_units: dict[str, frozenset[str]]
    molar: dict[str, float]
    qualitative: frozenset[str]
    short: dict[str, str]


_INDEXES: dict[int, tuple[LabCatalogue, _Index]] = {}


def _index(catalogue: LabCatalogue) -> _Index:
    """The lookup tables of a catalogue; cached by identity (catalogues are immutable)."""
    cached = _INDEXES.get(id(catalogue))
    if cached is not None and cached[0] is catalogue:
        return cached[1]
    index = _Index(
        units={name: (u.dimension, float(u.factor)) for name, u in catalogue.units.items()},
        aliases=dict(catalogue.aliases),
        scaled={name: (s.unit, float(s.factor)) for name, s in catalogue.scaled.items()},
        test_units={t.code: frozenset(t.units) for t in catalogue.tests if t.units},
        molar={t.code: float(t.molar_factor) for t in catalogue.tests if t.molar_factor},
        qualitative=frozenset(t.code for t in catalogue.tests if t.qualitative),
        short={t.code: t.short for t in catalogue.tests})
    if len(_INDEXES) > 64:  # a long-lived process loading many protocols
        _INDEXES.clear()
    _INDEXES[id(catalogue)] = (catalogue, index)
    return index


@lru_cache(maxsize=1)
def default_catalogue() -> LabCatalogue:
    """The packaged catalogue, for callers that have no protocol (rules parsed alone)."""
    return packaged_catalogue()


def normalize(catalogue: LabCatalogue, unit: str, test: str | None = None) -> str:
    """The canonical spelling of ``unit``; raise UnitError if unknown or not allowed for test."""
    ix = _index(catalogue)
    canonical = ix.aliases.get(unit, unit)
    if canonical not in ix.units and canonical not in ix.scaled:
        raise UnitError(f"unknown unit '{unit}' (known: {', '.join(known_units(catalogue, test))})")
    if test is not None and test in ix.test_units:
        base = ix.scaled[canonical][0] if canonical in ix.scaled else canonical
        if base not in ix.test_units[test]:
            raise UnitError(f"unit '{unit}' is not a unit of {test} "
                            f"(known: {', '.join(known_units(catalogue, test))})")
    return canonical


def known_units(catalogue: LabCatalogue, test: str | None = None) -> list[str]:
    """Units accepted for ``test`` (every unit of the catalogue when the test lists none)."""
    ix = _index(catalogue)
    if test is not None and test in ix.test_units:
        return sorted(ix.test_units[test])
    return sorted(ix.units)


def spellings(catalogue: LabCatalogue) -> list[str]:
    """Every unit string a record may carry: units, aliases and scaled spellings."""
    ix = _index(catalogue)
    return sorted(set(ix.units) | set(ix.aliases) | set(ix.scaled))


def aliases(catalogue: LabCatalogue) -> dict[str, str]:
    return dict(_index(catalogue).aliases)


def tests_with_units(catalogue: LabCatalogue) -> list[str]:
    """Tests that restrict their units (the others accept any unit of the catalogue)."""
    return sorted(_index(catalogue).test_units)


def is_qualitative(catalogue: LabCatalogue, test: str | None) -> bool:
    """Whether a result of ``test`` may be the text positive/negative instead of a number."""
    return test is not None and test in _index(catalogue).qualitative


def short_names(catalogue: LabCatalogue) -> dict[str, str]:
    """Test code → its short name in a sentence ("PT", "fasting glucose")."""
    return dict(_index(catalogue).short)


def convert(catalogue: LabCatalogue, value: float, test: str | None, from_unit: str,
            to_unit: str) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit`` (for the given test's analyte)."""
    for op, factor in conversion_steps(catalogue, test, from_unit, to_unit):
        value = value * factor if op == "*" else value / factor
    return value


def conversion_steps(catalogue: LabCatalogue, test: str | None, from_unit: str,
                     to_unit: str) -> list[Step]:
    """The multiplications and divisions that convert ``from_unit`` to ``to_unit``, in order
    (so SQL can repeat them bit for bit). Raises UnitError when they do not convert."""
    ix = _index(catalogue)
    src, dst = normalize(catalogue, from_unit, test), normalize(catalogue, to_unit, test)
    steps: list[Step] = []
    if src in ix.scaled:
        base, factor = ix.scaled[src]
        steps.append(("*", factor))
        src = base
    if dst in ix.scaled:
        base, factor = ix.scaled[dst]
        return [*steps, *conversion_steps(catalogue, test, src, base), ("/", factor)]
    if src == dst:
        return steps
    (src_dim, src_factor), (dst_dim, dst_factor) = ix.units[src], ix.units[dst]
    if src_dim == dst_dim:
        return [*steps, ("*", src_factor), ("/", dst_factor)]
    if {src_dim, dst_dim} == {"mass", "molar"} and test in ix.molar:
        middle = "*" if src_dim == "molar" else "/"
        return [*steps, ("*", src_factor), (middle, ix.molar[test]), ("/", dst_factor)]
    raise UnitError(f"cannot convert {from_unit} to {to_unit}"
                    + (f" for {test}" if test else ""))
