"""Clinical scores computed from entered items: EDSS, eGFR, CTCAE helpers, form derivations."""

from trialkit.core.scoring.checks import EditCheck, Outcome
from trialkit.core.scoring.edss import (
    EdssResult,
    FunctionalSystems,
    ScoringInputError,
    check_rater_edss,
    edss_from_kurtzke,
    kurtzke_ambulation_floor,
    neurostatus_ambulation_floor,
    neurostatus_edss,
)

__all__ = [
    "EditCheck", "EdssResult", "FunctionalSystems", "Outcome", "ScoringInputError",
    "check_rater_edss", "edss_from_kurtzke", "kurtzke_ambulation_floor",
    "neurostatus_ambulation_floor", "neurostatus_edss",
]
