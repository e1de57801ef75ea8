"""Who does what, and who may see which unblinded information."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from trialkit.core.protocol._base import Flag, Frozen, Ident, OptionalText, Text, duplicates

# The unblinded facts a trial protects. Each is reachable only through access functions.
BlindedInformation = Literal[
    "allocation",        # the arm of a participant
    "preparation",       # what the cell lab/pharmacy prepares for a kit code
    "procedure_type",    # whether a procedure was real or sham
    "arm_summaries",     # safety tables split by arm
    "randomization_list",
]


# What a role may do. The vocabulary is fixed by the software (each maps to server actions); which
# role gets which permission is protocol data.
Permission = Literal[
    "screen",                 # register candidates, enter screening data, record screen failure
    "consent",                # record informed consent
    "enrol",                  # enrol into a part
    "randomize",              # request a randomization
    "enter_data",             # create and edit case report forms
    "sign",                   # investigator e-signature of forms
    "record_administration",  # record a dose given
    "prepare_kit",            # cell lab: see and confirm preparations
    "perform_procedure",      # IT proceduralist: see real/sham and record the procedure
    "report_adverse_event",
    "raise_query", "answer_query", "close_query",
    "verify_source",          # monitor: source data verification
    "code_terms",             # code verbatim terms (adverse events) to the medical dictionary
    "review_safety",          # safety committee: safety reports
    "decide_safety",          # committee chair: e-sign decisions
    "emergency_unblind",
    "manage_randomization",   # generate and release the randomization list
    "lock_data",
    "export_data",
    "view_audit",
    "manage_users",
]


# What a role hears about, as a notification in its inbox (and by e-mail where configured).
NotificationKind = Literal[
    "serious_adverse_event",   # an adverse event saved as serious (names no arm)
    "emergency_unblinding",    # who unblinded whom and when (never the arm, never the reason)
    "committee_decision",      # a safety committee's signed decision
]


class Role(Frozen):
    id: Ident
    name: Text
    description: Text
    sees: tuple[BlindedInformation, ...] = ()
    """Unblinded information this role may see; empty = fully blinded."""
    can: tuple[Permission, ...] = ()
    """Actions this role may perform."""
    blinded_until_lock: Flag = False
    """Sees allocation only once the study database is locked (e.g. the trial statistician)."""
    site_scoped: Flag = True
    """Sees only the sites the user belongs to."""
    notified_of: tuple[NotificationKind, ...] = ()
    """Events this role is told about."""
    reads: tuple[Ident, ...] | None = None
    """The forms (ids) whose data this role reads. Left out: every form whose ``read_by``
    admits it. A blinded rater reads only the rating; an unblinded preparer reads no
    efficacy form (core/protocol/reading.py)."""
    workspace: OptionalText | None = None
    """The name of this role's own page in the navigation (e.g. "Committee workspace"); the page
    itself follows from what the role may do and see."""

    @property
    def blinded(self) -> bool:
        return not self.sees

    @model_validator(mode="after")
    def _no_repeats(self) -> Role:
        if duplicates(list(self.sees)) or duplicates(list(self.can)) or duplicates(
                list(self.notified_of)) or duplicates(list(self.reads or ())):
            raise ValueError("each kind of information, permission, notification and form "
                             "read is listed once")
        return self
