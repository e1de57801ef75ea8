"""Every input field the server takes, by name, with the rule its value must follow.

The API's request types (``trialkit.web.boundary.api_types``) and the pages' form readers
(``trialkit.web.boundary.posted``) both look fields up here, and the OpenAPI schema is
generated from the same rules, so a limit is stated once. A text field's length is the
database column's ``max_length`` where it is stored in one, so nothing valid at the boundary
can fail in the database; free text stored without a limit gets ``FREE_TEXT_MAX``.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.db import models

from trialkit.core.hygiene import DateKind, TextRule, free_text, identifier, line, password
from trialkit.core.hygiene import username as username_rule

FREE_TEXT_MAX = 2000
"""Characters of a reason, a message, a rationale or a text item (a page of writing)."""
PASSWORD_MAX = 256
"""Longer than any passphrase; it bounds the work of hashing a submitted password."""
QUERY_VALUE_MAX = 2000
"""Characters of any query-string value the pages read (filters, page numbers, return URLs)."""
ID_MAX = 2**63 - 1
"""The largest database id (a 64-bit primary key)."""

DATES: dict[str, DateKind] = {
    "index_date": DateKind.PLANNED,   # the planned Day 0 screening counts back from
    "consent_date": DateKind.PAST,
    "done_on": DateKind.PAST,
    "ended_on": DateKind.PAST,
    "given_at": DateKind.PAST,        # a date and time
    "sent_at": DateKind.PAST,         # when a serious event's report was sent
    "aware_at": DateKind.PAST,        # when the site learnt of a serious event
    "as_of": DateKind.PAST,           # the date of a committee's data cut
}
"""Date fields and their kind (``trialkit.core.hygiene.dates``)."""

CHECKS: dict[str, str] = {
    "role": "a role of the protocol; to act in it or be given a token for it, one the user "
            "holds",
    "site": "an existing site, one the caller works at",
    "part": "a part of the protocol that is enrolled without randomization",
    "form_id": "a form of the protocol",
    "visit_id": "a visit of the protocol (that collects the form, when saving one)",
    "item_id": "an item of the form",
    "administration_id": "an administration of the protocol",
    "kit_code": "the participant's kit",
    "decision": "a decision the committee gate allows",
    "report_sha256": "the SHA-256 (64 hexadecimal digits) of the PDF or HTML of a safety report "
                     "produced for the committee gate, one the signer may read",
    "new_password": "the password policy: not a common password, not like the username",
    "assignee": "an active user who answers or closes queries at the participant's site and "
                "reads the form (blank: assigned to nobody)",
}
"""What the server checks beyond a field's rule, against the protocol or the stored data: a
schema-valid value may still be refused there (422 naming the field). Published with the field
as ``x-trialkit-checks``."""


def _length(model: type[models.Model], field: str) -> int:
    length = model._meta.get_field(field).max_length
    if length is None:  # a TextField: the free-text limit
        return FREE_TEXT_MAX
    return int(length)


def new_password_min_length() -> int:
    """The minimum the password validators set (``AUTH_PASSWORD_VALIDATORS``), so the schema
    states it instead of a refusal discovering it."""
    for validator in settings.AUTH_PASSWORD_VALIDATORS:
        if validator["NAME"].endswith(".MinimumLengthValidator"):
            return int(validator.get("OPTIONS", {}).get("min_length", 8))
    return 1


@cache
def text_rules() -> dict[str, TextRule]:
    """Field name → rule. Built on first use: it reads the models' column lengths."""
    from django.contrib.auth.models import User

    from trialkit.web.trial.models import (
        Administration,
        ApiToken,
        AuditEvent,
        DictionaryTerm,
        FormRecord,
        IdempotencyKey,
        Membership,
        Participant,
        Profile,
        Query,
        SafetyDecision,
        SeriousEventReport,
        Signature,
        Site,
    )

    ids = {name: identifier(_length(FormRecord, "form_id")) for name in (
        "form_id", "visit_id", "item_id", "administration_id", "criterion", "decision", "status",
        "kind")}
    return {
        **ids,
        "username": username_rule(_length(User, "username")),
        "assignee": username_rule(_length(User, "username")),
        "password": password(PASSWORD_MAX),
        "new_password": password(PASSWORD_MAX, min_length=new_password_min_length()),
        "printed_name": line(_length(Profile, "printed_name")),
        "role": identifier(_length(Membership, "role")),
        "part": identifier(_length(Participant, "part")),
        "site": line(_length(Site, "code")),
        "label": line(_length(ApiToken, "label")),
        "meaning": line(_length(Signature, "meaning")),
        "screening_number": line(_length(Participant, "screening_number")),
        "form_version": line(_length(Participant, "consent_form_version")),
        "taken_by": line(_length(Participant, "consent_taken_by")),
        "kit_code": line(_length(Administration, "kit_code")),
        "llt_code": line(_length(DictionaryTerm, "llt_code")),
        "reason": free_text(FREE_TEXT_MAX),
        "override_reason": free_text(FREE_TEXT_MAX),
        "rationale": free_text(FREE_TEXT_MAX),
        "text": free_text(min(_length(Query, "text"), FREE_TEXT_MAX)),
        "item_value": free_text(FREE_TEXT_MAX),
        "note": free_text(FREE_TEXT_MAX),
        "actor": line(_length(AuditEvent, "actor")),
        "action": line(_length(AuditEvent, "action")),
        "object_type": line(_length(AuditEvent, "object_type")),
        "object_id": line(_length(AuditEvent, "object_id")),
        "query_value": line(QUERY_VALUE_MAX),
        "submission": line(_length(IdempotencyKey, "key")),
        "report_sha256": line(_length(SafetyDecision, "report_sha256")),
        "recipient": line(_length(SeriousEventReport, "recipient")),
        "reference": line(_length(SeriousEventReport, "reference")),
    }


def rule(name: str) -> TextRule:
    try:
        return text_rules()[name]
    except KeyError:
        raise KeyError(f"no input rule for field '{name}' (trialkit.web.boundary.fields)") \
            from None
