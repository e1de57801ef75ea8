"""Exchange rows built by hand for the FHIR exports: three participants of the trial under test
(one enrolled and treated, one screen failure, one still screening), their screening forms from
the trial's eligible candidate, and allocations only when asked for."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.protocol_cases import TrialCase
from trialkit.core.adam.rows import (
    AdministrationRow,
    Allocation,
    FormRow,
    ParticipantRow,
    TrialRows,
)
from trialkit.core.exchange import ExchangeRows, ScreeningRow

AS_OF = dt.date(2026, 6, 1)
SCREENED_ON = dt.date(2026, 3, 2)


def exchange_rows(trial: TrialCase, *, unblinded: bool) -> ExchangeRows:
    site = trial.protocol.identity.sites[0].id
    people = (
        ParticipantRow(1, "S01-001", site, "enrolled", consent_date=SCREENED_ON,
                       enrolled_on=dt.date(2026, 3, 20)),
        ParticipantRow(2, "S01-002", site, "screen_failed", consent_date=SCREENED_ON,
                       ended_on=dt.date(2026, 3, 10), end_reason="ineligible"),
        ParticipantRow(3, "S01-003", site, "consented", consent_date=SCREENED_ON),
    )
    visit = trial.screening_visit.id
    forms = tuple(FormRow(p.key, form_id, visit, repeat, values)
                  for p in people
                  for form_id, instances in trial.screening_forms(SCREENED_ON).items()
                  for repeat, values in enumerate(instances))
    first = trial.protocol.design.administrations[0].id
    trial_rows = TrialRows(
        study_id=trial.protocol.identity.id, as_of=AS_OF, participants=people,
        administrations=(AdministrationRow(1, first, dt.date(2026, 3, 20)),), forms=forms,
        allocations={1: _allocation(trial), 3: _allocation(trial)} if unblinded else None)
    screenings = (ScreeningRow(3, "eligible", {}, SCREENED_ON),
                  ScreeningRow(2, "ineligible", {}, SCREENED_ON))
    return ExchangeRows(trial=trial_rows, screenings=screenings)


def _allocation(trial: TrialCase) -> Allocation:
    part = trial.randomized_part or trial.protocol.design.parts[0]
    if part.is_crossover:
        return Allocation(sequence=part.sequences[-1].id)
    return Allocation(arm=part.arms[-1])


@pytest.fixture
def blinded_rows(trial: TrialCase) -> ExchangeRows:
    return exchange_rows(trial, unblinded=False)


@pytest.fixture
def unblinded_rows(trial: TrialCase) -> ExchangeRows:
    return exchange_rows(trial, unblinded=True)
