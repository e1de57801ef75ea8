"""Who does what, and who may see which unblinded information."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from trialkit.core.protocol._base import Flag, Frozen, Ident, Text, duplicates

# The unblinded facts a trial protects. Each is reachable only through access functions.
BlindedInformation = Literal[
    "allocation",        # the arm of a participant
    "preparation",       # what the cell lab/pharmacy prepares for a kit code
    "procedure_type",    # whether a procedure was real or sham
    "arm_summaries",     # safety tables split by arm
    "randomization_list",
]


class Role(Frozen):
    id: Ident
    name: Text
    description: Text
    sees: tuple[BlindedInformation, ...] = ()
    """Unblinded information this role may see; empty = fully blinded."""
    blinded_until_lock: Flag = False
    """Sees allocation only once the study database is locked (e.g. the trial statistician)."""
    site_scoped: Flag = True
    """Sees only the sites the user belongs to."""

    @property
    def blinded(self) -> bool:
        return not self.sees

    @model_validator(mode="after")
    def _no_repeats(self) -> Role:
        if duplicates(list(self.sees)):
            raise ValueError("each kind of information is listed once")
        return self
