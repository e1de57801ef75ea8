"""Signing many forms in one act: a visit's, or a whole casebook's.

One password re-entry covers the act; each form still gets a signature of its own, bound to
its latest version, with its own ``sign_form`` audit event (21 CFR 11.50 and 11.70: a
signature names the signer, the time and the meaning, and is linked to the record it signs).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from trialkit.web.trial.actions.base import Actor, InvalidInputError, StateConflictError
from trialkit.web.trial.actions.forms import sign_latest_version
from trialkit.web.trial.actions.kernel import (
    WRITES_PARTICIPANT_DATA,
    action,
    record,
    reenter_password,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import Participant, Signature
from trialkit.web.trial.signatures import worklist


@action(AuditAction.SIGN_CASEBOOK, permission="sign", guards=WRITES_PARTICIPANT_DATA,
        subject="participant")
def do_sign_casebook(participant: Participant, visit_id: str | None, password: str,
                     meaning: str, *, actor: Actor) -> list[Signature]:
    """Sign every form of the participant that awaits a signature and the actor may read: at
    one visit (``visit_id``; ``""`` for forms outside visits), or all of them (None)."""
    actor.require_site(participant)
    reenter_password(actor, password, "sign forms")
    if not meaning.strip():
        raise InvalidInputError(_("say what the signatures mean"), field="meaning")
    records = worklist(actor, participant)
    if visit_id is not None:
        records = records.filter(visit_id=visit_id)
    pending = list(records)
    if not pending:
        raise StateConflictError(_("no form here awaits a signature"), field="visit_id")
    signatures = [sign_latest_version(r, meaning, actor) for r in pending]
    record(actor, AuditAction.SIGN_CASEBOOK, participant, new={
        "participant": participant.screening_number,
        "visit": "all" if visit_id is None else visit_id,
        "forms": [f"{r.visit_id or '-'}/{r.form_id}#{r.repeat_index}" for r in pending],
        "meaning": meaning.strip()})
    return signatures
