"""Units of laboratory results: which units each test may be reported in, and conversions.

Every unit belongs to a dimension with a factor to that dimension's base unit; converting within
a dimension multiplies by the ratio of factors. Mass and molar concentrations of one analyte
convert through its molar-mass factor (glucose: 1 mmol/L = 18.016 mg/dL), which only the test
knows. A unit that is not in these tables is an error: a silent guess could turn an abnormal
result normal. UCUM spellings (as FHIR uses them) are accepted as aliases.
"""

from __future__ import annotations

from typing import Final


class UnitError(ValueError):
    """An unknown unit, or units that cannot be converted into each other for this test."""


# unit -> (dimension, factor to the dimension's base unit)
UNITS: Final[dict[str, tuple[str, float]]] = {
    "s": ("time", 1.0),
    "min": ("time", 60.0),
    "U/L": ("catalytic", 1.0),
    "IU/L": ("catalytic", 1.0),
    "µkat/L": ("catalytic", 60.0),
    "mg/dL": ("mass", 1.0),
    "mg/L": ("mass", 0.1),
    "g/L": ("mass", 100.0),
    "mmol/L": ("molar", 1.0),
    "µmol/L": ("molar", 0.001),
    "mL/min/1.73m2": ("egfr", 1.0),
    "mIU/mL": ("iu", 1.0),
    "%": ("fraction", 1.0),
    "{INR}": ("ratio", 1.0),
}

ALIASES: Final[dict[str, str]] = {
    "sec": "s",
    "[IU]/L": "IU/L",
    "ukat/L": "µkat/L",
    "umol/L": "µmol/L",
    "mL/min/{1.73_m2}": "mL/min/1.73m2",
    "mL/min/1.73 m2": "mL/min/1.73m2",
    "mL/min/1.73m²": "mL/min/1.73m2",
    "m[IU]/mL": "mIU/mL",
    "[IU]/mL": "IU/mL",
}
# Aliases that are not the same unit but a multiple of one.
_SCALED: Final[dict[str, tuple[str, float]]] = {"IU/mL": ("mIU/mL", 1000.0)}

# mg/dL per mmol/L for analytes reported in both mass and molar concentration.
MOLAR_FACTOR: Final[dict[str, float]] = {
    "LOINC:1558-6": 18.016,  # fasting glucose, serum/plasma
    "LOINC:2345-7": 18.016,  # glucose, serum/plasma
    "LOINC:2339-0": 18.016,  # glucose, blood
    "LOINC:2160-0": 11.312,  # creatinine, serum/plasma
}

_GLUCOSE: Final = frozenset({"mg/dL", "mmol/L", "mg/L", "g/L", "µmol/L"})
# Units a test may be reported in. Tests not listed accept any unit of UNITS.
TEST_UNITS: Final[dict[str, frozenset[str]]] = {
    "LOINC:5902-2": frozenset({"s"}),  # prothrombin time
    "LOINC:14979-9": frozenset({"s"}),  # APTT
    "LOINC:3173-2": frozenset({"s"}),  # APTT
    "LOINC:1920-8": frozenset({"U/L", "IU/L", "µkat/L"}),  # AST
    "LOINC:1742-6": frozenset({"U/L", "IU/L", "µkat/L"}),  # ALT
    "LOINC:98979-8": frozenset({"mL/min/1.73m2"}),  # eGFR CKD-EPI 2021
    "LOINC:62238-1": frozenset({"mL/min/1.73m2"}),  # eGFR CKD-EPI
    "LOINC:33914-3": frozenset({"mL/min/1.73m2"}),  # eGFR MDRD
    "LOINC:1558-6": _GLUCOSE,
    "LOINC:2345-7": _GLUCOSE,
    "LOINC:2339-0": _GLUCOSE,
    "LOINC:2118-8": frozenset({"mIU/mL", "IU/L"}),  # hCG serum (quantitative)
    "LOINC:2106-3": frozenset({"mIU/mL", "IU/L"}),  # hCG urine
}
# Tests whose result may be the text "positive" or "negative" instead of a number.
QUALITATIVE_TESTS: Final = frozenset({"LOINC:2118-8", "LOINC:2106-3"})


def normalize(unit: str, test: str | None = None) -> str:
    """The canonical spelling of ``unit``; raise UnitError if unknown or not allowed for test."""
    canonical = ALIASES.get(unit, unit)
    if canonical not in UNITS and canonical not in _SCALED:
        raise UnitError(f"unknown unit '{unit}' (known: {', '.join(known_units(test))})")
    if test is not None and test in TEST_UNITS:
        base = _SCALED[canonical][0] if canonical in _SCALED else canonical
        if base not in TEST_UNITS[test]:
            raise UnitError(f"unit '{unit}' is not a unit of {test} "
                            f"(known: {', '.join(known_units(test))})")
    return canonical


def known_units(test: str | None = None) -> list[str]:
    """Units accepted for ``test`` (every known unit when the test has no list)."""
    if test is not None and test in TEST_UNITS:
        return sorted(TEST_UNITS[test])
    return sorted(UNITS)


def convert(value: float, test: str | None, from_unit: str, to_unit: str) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit`` (for the given test's analyte)."""
    src, dst = normalize(from_unit, test), normalize(to_unit, test)
    value, src = _unscale(value, src)
    if dst in _SCALED:
        return convert(value, test, src, _SCALED[dst][0]) / _SCALED[dst][1]
    if src == dst:
        return value
    (src_dim, src_factor), (dst_dim, dst_factor) = UNITS[src], UNITS[dst]
    if src_dim == dst_dim:
        return value * src_factor / dst_factor
    if {src_dim, dst_dim} == {"mass", "molar"} and test in MOLAR_FACTOR:
        factor = MOLAR_FACTOR[test]
        if src_dim == "molar":
            return value * src_factor * factor / dst_factor
        return value * src_factor / factor / dst_factor
    raise UnitError(f"cannot convert {from_unit} to {to_unit}"
                    + (f" for {test}" if test else ""))


def _unscale(value: float, unit: str) -> tuple[float, str]:
    if unit in _SCALED:
        base, factor = _SCALED[unit]
        return value * factor, base
    return value, unit
