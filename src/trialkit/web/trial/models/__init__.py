"""Persistence. Domain rules live in trialkit.core; these models only store facts.

Writes happen only in ``trialkit.web.trial.actions``; blinded facts are read only through
``trialkit.web.trial.access``.
"""

from trialkit.web.trial.models.accounts import RecoveryCode, RoleRequest, SignInSource
from trialkit.web.trial.models.audit import AuditEvent, AuditHead
from trialkit.web.trial.models.closed_session import DataCut, StudyLockRequest
from trialkit.web.trial.models.coding import (
    AdverseEventCoding,
    DictionaryTerm,
    DictionaryVersion,
)
from trialkit.web.trial.models.forms import (
    FormRecord,
    FormVersion,
    Query,
    QueryMessage,
    Signature,
    SourceVerification,
)
from trialkit.web.trial.models.kernel import IdempotencyKey
from trialkit.web.trial.models.participants import (
    Administration,
    Deviation,
    DeviationKind,
    Participant,
    PeriodStart,
    ScheduledVisit,
)
from trialkit.web.trial.models.people import ApiToken, Membership, Profile, Site, Study
from trialkit.web.trial.models.randomization import (
    KitPreparation,
    RandomizationList,
    RandomizationSlot,
    Unblinding,
)
from trialkit.web.trial.models.safety import (
    Notification,
    SafetyDecision,
    SeriousEventClock,
    SeriousEventReport,
    SmcReport,
)

__all__ = [
    "Administration",
    "AdverseEventCoding",
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "DataCut",
    "Deviation",
    "DeviationKind",
    "DictionaryTerm",
    "DictionaryVersion",
    "FormRecord",
    "FormVersion",
    "IdempotencyKey",
    "KitPreparation",
    "Membership",
    "Notification",
    "Participant",
    "PeriodStart",
    "Profile",
    "Query",
    "QueryMessage",
    "RandomizationList",
    "RandomizationSlot",
    "RecoveryCode",
    "RoleRequest",
    "SafetyDecision",
    "ScheduledVisit",
    "SeriousEventClock",
    "SeriousEventReport",
    "SignInSource",
    "Signature",
    "Site",
    "SmcReport",
    "SourceVerification",
    "Study",
    "StudyLockRequest",
    "Unblinding",
]
