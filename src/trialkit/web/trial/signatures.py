"""Which saved forms still await a signature: the investigator's worklist, and what stops a
casebook from being completed.

A form awaits a signature when the protocol requires one (``signature_required``) and nobody
has signed its latest version: a new version voids the signatures of the one before.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from trialkit.core.protocol import Protocol
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.forms import readable
from trialkit.web.trial.models import FormRecord, Participant, Signature
from trialkit.web.trial.scope import in_scope


def awaiting_signature(protocol: Protocol, records: QuerySet[FormRecord]) -> QuerySet[FormRecord]:
    """``records`` narrowed to saved forms that need a signature and whose latest version has
    none."""
    required = [f.id for f in protocol.forms if f.signature_required]
    signed = Signature.objects.filter(version__record=OuterRef("pk"),
                                      version__number=OuterRef("latest_version"))
    return records.filter(form_id__in=required, latest_version__gt=0).exclude(Exists(signed))


def worklist(actor: Actor, participant: Participant | None = None) -> QuerySet[FormRecord]:
    """The forms the actor may read, at their sites, that await a signature (one
    participant's, if given), by participant, visit and form."""
    records = readable(actor, in_scope(actor, FormRecord.objects.select_related(
        "participant", "participant__site"), "participant"))
    if participant is not None:
        records = records.filter(participant=participant)
    return awaiting_signature(actor.protocol(), records).order_by(
        "participant__screening_number", "visit_id", "form_id", "repeat_index")


def unsigned_in_casebook(protocol: Protocol, participant: Participant) -> list[FormRecord]:
    """Every form of the participant's casebook that still awaits its signature, whoever may
    read it: a casebook is complete only when none does."""
    return list(awaiting_signature(protocol, FormRecord.objects.filter(
        participant=participant)).order_by("visit_id", "form_id", "repeat_index"))
