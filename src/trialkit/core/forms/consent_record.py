"""What a consent form records of the consent, read from what its items hold.

Informed consent is recorded once, by the consent action. That action also fills the consent
form with the facts it holds; each item says which fact it holds (``holds:`` in the protocol):
- ``consent.date``: the date the participant signed;
- ``consent.form_version``: the version of the consent document signed;
- ``consent.taken_by``: who took consent.

CDISC has a variable for the first (DS.DSSTDTC) but none for the other two, so the protocol
names them itself. Everything else on the form (whether the participant signed personally, a
witness) is the site's to enter: the consent action does not know it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from trialkit.core.forms.values import JsonScalar
from trialkit.core.protocol.forms import Form


@dataclass(frozen=True)
class ConsentFacts:
    """One recorded consent (or re-consent), as the consent action holds it."""

    date: dt.date
    form_version: str
    taken_by: str


def consent_values(form: Form, facts: ConsentFacts) -> dict[str, JsonScalar]:
    """Item id → the value the consent gives it, for the items of ``form`` that hold a fact of
    the consent, each as a saved form holds it (a date in ISO form)."""
    meaning: dict[str, JsonScalar] = {"consent.date": facts.date.isoformat(),
                                      "consent.form_version": facts.form_version,
                                      "consent.taken_by": facts.taken_by}
    return {item.id: meaning[item.holds] for item in form.items if item.holds is not None}


__all__ = ["ConsentFacts", "consent_values"]
