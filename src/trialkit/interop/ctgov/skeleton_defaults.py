"""What every protocol needs and no registry record says: a schedule and the roles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trialkit.interop.ctgov._record import Notes

SCREENING_WINDOW_DAYS = 28


PERIOD_SPACING_DAYS = 28
"""Placeholder distance between the start visits of a crossover's periods (reviewed on import)."""


def schedule(notes: Notes, periods: Sequence[str] = ()) -> dict[str, Any]:
    """One screening visit covering the screening window (days -28 to -1), and for a crossover
    one visit starting each period."""
    visits: list[dict[str, Any]] = [{
        "id": "SCR", "name": "Screening", "day": -1,
        "window": {"before": SCREENING_WINDOW_DAYS - 1, "after": 0},
        "purpose": "Consent and eligibility (defaulted on import).",
    }]
    visits += [{"id": f"{period}_START", "name": f"Start of period {k + 1}",
                "day": k * PERIOD_SPACING_DAYS, "period": period,
                "purpose": "Starts the period (defaulted on import)."}
               for k, period in enumerate(periods)]
    starts = (f"; each crossover period starts at a visit {PERIOD_SPACING_DAYS} days after "
              "the previous one" if periods else "")
    notes.assume(
        "import-schedule",
        f"The schedule is a single screening visit, days -{SCREENING_WINDOW_DAYS} to -1{starts}; "
        "the treatment and follow-up visits, and their forms, must be added.",
        ["schedule.visits"])
    return {"visits": visits}


_ROLES: list[dict[str, Any]] = [
    {"id": "coordinator", "name": "Site coordinator",
     "description": "Screens, consents, enrols and enters data at a site."},
    {"id": "investigator", "name": "Investigator",
     "description": "Assesses eligibility and adverse events; signs forms."},
    {"id": "monitor", "name": "Monitor",
     "description": "Verifies source data and raises queries."},
    {"id": "data_manager", "name": "Data manager",
     "description": "Cleans data, raises and closes queries, locks the database.",
     "site_scoped": False},
    {"id": "administrator", "name": "Administrator",
     "description": "Manages users, sites and roles.", "site_scoped": False},
]
_UNBLINDED_STATISTICIAN: dict[str, Any] = {
    "id": "unblinded_statistician", "name": "Unblinded statistician",
    "description": "Generates and holds the randomization list.",
    "sees": ["allocation", "randomization_list"], "site_scoped": False,
}


def roles(*, randomized: bool, open_label: bool, notes: Notes) -> list[dict[str, Any]]:
    chosen = [dict(role) for role in _ROLES]
    if randomized:
        chosen.append(dict(_UNBLINDED_STATISTICIAN))
    statement = ("Roles are a generic set (coordinator, investigator, monitor, data manager, "
                 "administrator" + (", unblinded statistician" if randomized else "") + ").")
    if open_label:
        statement += (" The study is open-label, yet every role is blinded: grant 'allocation' "
                      "to the roles that may see it.")
    notes.assume("import-roles", statement, ["roles"])
    return chosen
