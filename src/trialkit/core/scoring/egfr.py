"""Estimated GFR from serum creatinine: CKD-EPI 2021, the race-free refit.

Equation (Inker LA et al., "New Creatinine- and Cystatin C-Based Equations to Estimate GFR
without Race", N Engl J Med 2021;385:1737-1749):

    eGFR = 142 x min(Scr/k, 1)^a x max(Scr/k, 1)^-1.200 x 0.9938^age [x 1.012 if female]

with Scr in mg/dL, k = 0.7 (female) / 0.9 (male), a = -0.241 (female) / -0.302 (male); the
result is in mL/min/1.73 m2. The equation was developed in adults only.
"""

from __future__ import annotations

from dataclasses import dataclass

from trialkit.core.scoring.checks import ScoringInputError, positive_number

__all__ = ["MICROMOL_PER_MG_DL", "ckd_epi_2021", "creatinine_mg_dl"]

MICROMOL_PER_MG_DL = 88.4
"""Creatinine, 1 mg/dL = 88.4 µmol/L (molar mass 113.12 g/mol)."""

# Above this a "mg/dL" value is almost surely µmol/L entered under the wrong unit.
_MAX_MG_DL = 40.0
_MIN_AGE, _MAX_AGE = 18, 120
_MG_DL = frozenset({"mg/dL", "mg/dl"})
_MICROMOL = frozenset({"umol/L", "µmol/L", "μmol/L", "umol/l"})


@dataclass(frozen=True)
class _SexTerms:
    kappa: float
    alpha: float
    factor: float


_TERMS: dict[str, _SexTerms] = {
    "female": _SexTerms(kappa=0.7, alpha=-0.241, factor=1.012),
    "male": _SexTerms(kappa=0.9, alpha=-0.302, factor=1.0),
}


def creatinine_mg_dl(value: object, unit: str) -> float:
    """Serum creatinine in mg/dL from a value in mg/dL or µmol/L."""
    number = positive_number(value, "creatinine")
    if unit in _MG_DL:
        mg_dl = number
    elif unit in _MICROMOL:
        mg_dl = number / MICROMOL_PER_MG_DL
    else:
        raise ScoringInputError("creatinine_unit", f"must be mg/dL or µmol/L, got {unit!r}")
    if mg_dl > _MAX_MG_DL:
        raise ScoringInputError("creatinine", f"{value!r} {unit} is implausibly high (more than "
                                              f"{_MAX_MG_DL:g} mg/dL); is the unit right?")
    return mg_dl


def ckd_epi_2021(creatinine: object, unit: str, age_years: object, sex: str) -> float:
    """eGFR in mL/min/1.73 m2 (unrounded; laboratories report it as a whole number)."""
    terms = _TERMS.get(sex)
    if terms is None:
        raise ScoringInputError("sex", f"must be 'female' or 'male', got {sex!r}")
    age = positive_number(age_years, "age")
    if not _MIN_AGE <= age <= _MAX_AGE:
        raise ScoringInputError("age", f"must be between {_MIN_AGE} and {_MAX_AGE} years (the "
                                       f"equation is for adults), got {age_years!r}")
    ratio = creatinine_mg_dl(creatinine, unit) / terms.kappa
    return float(142.0 * min(ratio, 1.0) ** terms.alpha * max(ratio, 1.0) ** -1.200
                 * 0.9938 ** age * terms.factor)
