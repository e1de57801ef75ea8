"""ADaM analysis datasets derived from a trial's neutral rows, framework-free.

``derive(protocol, rows)`` gives ADSL, ADAE, ADEX, a BDS dataset per scored form, and the
ADTTE, ADCNT and ADRSP parameters of the protocol's ``analysis_data``
(docs/analysis.md, "Analysis datasets"). ``rows`` come from ``trialkit.web.analysis_source``
or, in tests, are built by hand.
"""

from trialkit.core.adam.derive import AnalysisDatasets, derive
from trialkit.core.adam.rows import (
    AdministrationRow,
    Allocation,
    CodedTermRow,
    FormRow,
    ParticipantRow,
    TrialRows,
)
from trialkit.core.adam.subjects import POOLED

__all__ = ["POOLED", "AdministrationRow", "Allocation", "AnalysisDatasets", "CodedTermRow",
           "FormRow", "ParticipantRow", "TrialRows", "derive"]
