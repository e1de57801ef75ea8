"""FHIR R4 output: the study, its subjects and their screening data, as hospitals read them.

Three Bundles, each written from the protocol (and the exchange rows for the two that carry
data), each validated with ``fhir.resources`` (its R4B models, which read these R4 resources):

* ``study_bundle``: a ``collection`` of the ResearchStudy, the eligibility Group its
  ``enrollment`` points to (one characteristic per criterion, ``exclude`` for exclusions, plus
  the age range and sex), the sponsor Organization and a Location per site.
* ``subjects_bundle``: the ResearchStudy and, per participant, a pseudonymous Patient (the
  screening number, no name) and a ResearchSubject (status, period; the arm only when the rows
  carry allocations — blinded rows never do).
* ``screening_bundles``: per participant, the screening record the forms give
  (``trialkit.core.eligibility.form_record``) as a patient Bundle that the FHIR reader
  ``trialkit.interop.fhir`` reads back into the same record.
"""

from trialkit.interop.fhir_export.screening import record_bundle, screening_bundles
from trialkit.interop.fhir_export.study import study_bundle
from trialkit.interop.fhir_export.subjects import subjects_bundle
from trialkit.interop.fhir_export.validation import bundle_problems

__all__ = ["bundle_problems", "record_bundle", "screening_bundles", "study_bundle",
           "subjects_bundle"]
