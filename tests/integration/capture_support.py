"""Data the data-capture tests share, for any protocol: participants, the forms a test needs
(found by what they are, not by id) and valid submissions made from their item definitions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from tests.protocol_cases import TrialCase
from trialkit.core.protocol.forms import Form, Item
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.models import Participant, Site, Study

DAY = dt.date(2025, 3, 10)
"""The day the tests' forms are filled in (in the past of the real clock)."""


CONSENTED_ON = dt.date(2025, 1, 6)
"""The day ``new_participant``'s informed consent was signed (before any data of the tests)."""


def new_participant(number: str = "S-001", site: str | None = None, *,
                    consented: bool = True) -> Participant:
    """A screened candidate at ``site`` (the study's first site by default), with informed
    consent on file unless ``consented=False`` (no study data is recorded before it: the
    kernel's ``Guard.CONSENTED``); registration and consent themselves are the participant
    journey's actions."""
    study = Study.objects.get(is_current=True)
    site_row = (Site.objects.order_by("pk").first() if site is None else
                Site.objects.get_or_create(code=site, defaults={
                    "name": site, "country": "Elsewhere", "status": "RECRUITING"})[0])
    consent = {"consent_date": CONSENTED_ON, "consent_form_version": "ICF 1.0",
               "consent_taken_by": "Dr Test",
               "status": Participant.Status.CONSENTED} if consented else {}
    return Participant.objects.create(study=study, site=site_row, screening_number=number,
                                      enrolled_at=timezone.now(), **consent)


def consented(participant: Participant, actor: Actor) -> Participant:
    """``participant`` (a registered candidate) with informed consent recorded today by
    ``actor`` (a role that consents): no study data before it (``Guard.CONSENTED``)."""
    from trialkit.web.trial import clock
    from trialkit.web.trial.actions.participants import do_record_consent

    do_record_consent(participant, clock.today(), "ICF 1.0", "Dr Test", actor=actor)
    participant.refresh_from_db()
    return participant


@dataclass(frozen=True)
class Measured:
    """A form entered at a visit with a numeric item to change: a vital-signs form if the
    protocol has one."""

    form: Form
    visit: str
    item: Item

    def values(self, trial: TrialCase, on: dt.date = DAY, **changes: object) -> dict:
        """Every numeric item at the low end of its range (so cross-item checks hold), the
        required ones generated, then ``changes``."""
        numbers = {i.id: _low(i) for i in self.form.items
                   if i.type in ("integer", "decimal") and i.derived is None}
        return trial.values(self.form, on, **{**numbers, **changes})

    def other(self, value: object) -> object:
        """A different valid value of the item."""
        step = self.item.range.step if self.item.range and self.item.range.step else 1
        return value + step if self.item.type == "integer" else round(value + step, 1)


def _low(item: Item) -> object:
    low = item.range.min if item.range is not None and item.range.min is not None else 0
    return int(low) if item.type == "integer" else float(low)


def measured(trial: TrialCase) -> Measured:
    forms = sorted((f for f in trial.protocol.forms if not f.repeating
                    and trial.visits_collecting(f) and _numbers(f)),
                   key=lambda f: f.kind != "vital_signs")
    form = forms[0]
    return Measured(form, trial.visits_collecting(form)[-1], _numbers(form)[0])


def _numbers(form: Form) -> list[Item]:
    return [i for i in form.items if i.type in ("integer", "decimal") and i.range is not None
            and i.range.max is not None and i.derived is None and not i.maps_to]


def signed_form(trial: TrialCase) -> tuple[Form, str]:
    """A form that needs a signature, entered at a visit (the first one found)."""
    form = next(f for f in trial.protocol.forms if f.signature_required
                and not f.repeating and trial.visits_collecting(f))
    return form, trial.visits_collecting(form)[0]


def adverse_event(trial: TrialCase, on: dt.date = DAY, *, serious: bool = False,
                  term: str = "Headache", **changes: object) -> dict:
    """A valid adverse event; ``serious`` ticks seriousness and hospitalisation (the items
    found by their CDISC annotations)."""
    form = trial.adverse_event_form
    meaning = {variable: form.item_with("AE", variable) for variable in (
        "AETERM", "AESTDTC", "AESER", "AESHOSP")}
    values = {meaning["AETERM"].id: term, meaning["AESTDTC"].id: on.isoformat()}
    if serious:
        values |= {meaning["AESER"].id: True, meaning["AESHOSP"].id: True}
    return trial.values(form, on, **{**values, **changes})


def ae_item(trial: TrialCase, variable: str) -> str:
    """The id of the adverse-event form's item annotated with this CDISC AE variable."""
    item = trial.adverse_event_form.item_with("AE", variable)
    assert item is not None, f"{trial.stem}: the adverse-event form has no {variable}"
    return item.id
