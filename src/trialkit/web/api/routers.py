"""Every router of the API and where it is mounted (all under /api/)."""

from __future__ import annotations

from ninja import Router

from trialkit.web.api import (
    accounts,
    analysis_exports,
    audit,
    committee,
    exports,
    forms,
    oversight,
    participants,
    queries,
    randomization,
    safety,
    source_verification,
    standards_exports,
    study,
    study_lock,
    visits,
)

ALL: list[tuple[str, Router]] = [
    ("/", accounts.router),
    ("/", study.router),
    ("/", participants.router),
    ("/", visits.router),
    ("/", randomization.router),
    ("/", forms.router),
    ("/", queries.router),
    ("/", source_verification.router),
    ("/", safety.router),
    ("/", oversight.router),
    ("/", committee.router),
    ("/", study_lock.router),
    ("/", exports.router),
    ("/", analysis_exports.router),
    ("/", standards_exports.router),
    ("/", audit.router),
]
