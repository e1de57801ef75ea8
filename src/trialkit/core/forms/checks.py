"""The few cross-item edit checks that need no protocol data, because they follow from item ids
that the software itself defines.

The protocol model has no place for form-specific edit checks, so only these run:

- **dates in the future**: a date or date-time item after the moment of entry (a CRF records
  what happened); the date is compared with the entry moment's own calendar day, so a site's
  local date is never flagged because UTC has not reached it yet;
- **end before start**: an item ``<prefix>end_date`` before ``<prefix>onset_date`` or
  ``<prefix>start_date`` of the same form;
- **seriousness**: on a form with a boolean ``serious`` item and at least one seriousness
  criterion item ``sae_<criterion>`` (trialkit.core.scoring.ctcae.Seriousness), the answer and
  the ticked criteria must agree.

Each failure is a finding that opens a data query; none refuses the save, because the source
document may really say so and the site must be able to record it and explain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from trialkit.core.forms.values import JsonScalar
from trialkit.core.protocol.forms import Form
from trialkit.core.scoring.ctcae import Seriousness, seriousness_problems

SERIOUS_ITEM = "serious"
_STARTS = ("onset_date", "start_date")
_END = "end_date"


@dataclass(frozen=True)
class Finding:
    """A soft edit-check result: saved, and a query opens when ``opens_query``."""

    item: str
    message: str
    opens_query: bool = True


def cross_item_findings(form: Form, values: Mapping[str, JsonScalar],
                        as_of: datetime) -> list[Finding]:
    return [*_future_dates(form, values, as_of), *_end_before_start(values),
            *_seriousness(form, values)]


def _future_dates(form: Form, values: Mapping[str, JsonScalar],
                  as_of: datetime) -> list[Finding]:
    findings = []
    for item in form.items:
        value = values.get(item.id)
        if not isinstance(value, str) or item.type not in ("date", "datetime"):
            continue
        future = (date.fromisoformat(value) > as_of.date() if item.type == "date"
                  else datetime.fromisoformat(value) > as_of)
        if future:
            findings.append(Finding(item.id, f"{item.label} {value} is in the future"))
    return findings


def _end_before_start(values: Mapping[str, JsonScalar]) -> list[Finding]:
    findings = []
    for item_id, value in values.items():
        if not item_id.endswith(_END) or not isinstance(value, str):
            continue
        prefix = item_id[: -len(_END)]
        for start_id in (prefix + start for start in _STARTS):
            start = values.get(start_id)
            if isinstance(start, str) and value < start:  # ISO dates sort as text
                findings.append(Finding(item_id, f"{item_id} {value} is before "
                                                 f"{start_id} {start}"))
    return findings


def _seriousness(form: Form, values: Mapping[str, JsonScalar]) -> list[Finding]:
    item_ids = {item.id for item in form.items}
    criteria = [c for c in Seriousness if c.item_id in item_ids]
    serious = values.get(SERIOUS_ITEM)
    if not criteria or not isinstance(serious, bool):
        return []
    ticked = [c for c in criteria if values.get(c.item_id) is True]
    return [Finding(SERIOUS_ITEM, problem) for problem in seriousness_problems(serious, ticked)]
