"""The screening forms of one participant, read from the database, as the patient record
(docs/reference/patient-record.md).

The mapping from forms to the record is written in the protocol (``maps_to``) and applied by
``trialkit.core.eligibility.form_record``, which its docstring explains; the standards exports
build the same record from the exchange rows. This module reads the forms from the database and
re-exports the mapping's names for its callers.
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
