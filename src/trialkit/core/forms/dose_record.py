"""What an administration form records of a dose, read from what its items mean.

A dose is recorded once, by the dose action. That action also fills the administration form of
the dose's visit with the facts it holds. Each item's CDISC annotation in the EX domain says
which fact it holds:
- ``EXSTDTC``: when the dose was given;
- ``EXREFID``: the kit or preparation code;
- ``EXOCCUR``: whether the product was given.

A choice item whose code list holds the protocol's administration ids names the
administration. Everything else on the form (a volume, a lot, a comment) is the site's to
enter: the dose action does not know it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from trialkit.core.forms.values import JsonScalar
from trialkit.core.protocol.forms import CodeList, Form, Item

GIVEN = "EXOCCUR"
"""The EX variable of the item saying whether product was given."""


@dataclass(frozen=True)
class DoseFacts:
    """One recorded dose, as the dose action holds it."""

    administration_id: str
    given_at: dt.datetime
    kit_code: str
    """The kit or preparation code; empty when none was recorded."""
    given: bool
    """Whether product was given: false where the arm's procedure is ``none``."""


def dose_values(form: Form, codelists: Mapping[str, CodeList], facts: DoseFacts,
                administration_ids: frozenset[str]) -> dict[str, JsonScalar]:
    """Item id → the value the dose gives it, for the items of ``form`` that hold a fact of the
    dose (the module docstring says which). ``administration_ids`` are the protocol's."""
    meaning: dict[str, JsonScalar] = {"EXSTDTC": facts.given_at.isoformat(),
                                      GIVEN: facts.given}
    if facts.kit_code:
        meaning["EXREFID"] = facts.kit_code
    values: dict[str, JsonScalar] = {}
    for item in form.items:
        variable = item.cdisc.variable if item.cdisc is not None and \
            item.cdisc.domain == "EX" else None
        if variable is not None and variable in meaning:
            values[item.id] = meaning[variable]
        elif _names_administration(item, codelists, administration_ids):
            values[item.id] = facts.administration_id
    return values


def _names_administration(item: Item, codelists: Mapping[str, CodeList],
                          administration_ids: frozenset[str]) -> bool:
    if item.type != "choice" or item.codelist is None or item.codelist not in codelists:
        return False
    return bool(administration_ids & {c.code for c in codelists[item.codelist].items})


__all__ = ["GIVEN", "DoseFacts", "dose_values"]
