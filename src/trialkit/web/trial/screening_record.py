"""From the screening forms of one participant to the patient record
(docs/reference/patient-record.md).

The eligibility engine reads a ``PatientRecord``; the site enters case report forms. The
bridge is written in the protocol, not here: every item that feeds the record says where
(``maps_to``, trialkit.core.protocol.forms.RecordMapping), so any protocol gets its record
without a line of code naming its forms or items:

- ``patient.<field>``: the first entered value among the screening forms' instances;
- ``attestations.<key>``: a yes/no item; an unanswered item is absent, i.e. unknown;
- ``<table>.<column>``: the items of one form instance that map to one table make one row;
  items with a ``row`` make one row per ``row`` value, and items without one (the sample
  date) belong to each of them. A row exists when one of its own items was entered. ``set``
  fills constant columns (the analyte's LOINC code), a choice is translated through the
  mapping's ``codes`` or else its code list's ``concept`` (a code column) and kept as entered
  otherwise; an item feeding a quantity column also fills the row's ``unit`` from the item's
  unit; a date-time item feeds a date column with its (UTC) calendar date.

What the forms cannot say is left unknown rather than guessed: the record's observation period
is the screening window only (``index − eligibility.screening_window_days .. index``), so a
history criterion ("no cytotoxic in the last month") is ``unknown`` for the engine and an
investigator judges it (``actions.participants.do_judge_criteria``).

Screening forms are those of the scheduled visits before study day 0. The mapping itself is
pure and lives in ``trialkit.core.eligibility.form_record`` (the standards exports build the
same record from the exchange rows); this module reads the forms from the database.
"""

from __future__ import annotations

from trialkit.core.eligibility.form_record import (
    FormData,
    record_data,
    screening_record,
    screening_visit_ids,
)
from trialkit.core.protocol import Protocol
from trialkit.web.trial.models import FormVersion, Participant

__all__ = ["record_data", "screening_forms", "screening_record", "screening_visit_ids"]


def screening_forms(participant: Participant, protocol: Protocol) -> dict[str, list[FormData]]:
    """Latest data of every screening form instance of the participant, by form id."""
    visits = screening_visit_ids(protocol)
    latest = (FormVersion.objects.filter(record__participant=participant,
                                         record__visit_id__in=visits)
              .select_related("record").order_by("record__form_id", "record__repeat_index",
                                                 "number"))
    by_instance: dict[int, FormVersion] = {}
    for version in latest:
        by_instance[version.record_id] = version  # ordered by number: the last one wins
    forms: dict[str, list[FormData]] = {}
    for version in by_instance.values():
        forms.setdefault(version.record.form_id, []).append(version.data)
    return forms
