"""The preparing role confirms that a participant's kit is ready for an administration.

Only a role that may ``prepare_kit`` and ``sees`` preparations confirms, and only for an
administration the protocol gives it to prepare (``prepared_by``). A confirmation stores the
kit code, who and when; never what was prepared, which follows from the concealed arm. The
audit event says the same, so the blinded roles that read the trail learn nothing more than
that a kit is ready.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from trialkit.core.protocol.design import Administration as ProtocolAdministration
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import (
    Actor,
    InvalidInputError,
    NotFoundError,
    NotPermittedError,
    StateConflictError,
)
from trialkit.web.trial.actions.kernel import (
    Guard,
    action,
    ensure_participant_unlocked,
    ensure_study_unlocked,
    record,
)
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import KitPreparation, Participant, RandomizationSlot
from trialkit.web.trial.study import current_study


@action(AuditAction.CONFIRM_PREPARATION, permission="prepare_kit",
        guards=(Guard.STUDY_UNLOCKED,))
def do_confirm_preparation(kit_code: str, administration_id: str, *,
                           actor: Actor) -> KitPreparation:
    if not actor.sees("preparation"):
        raise NotPermittedError(_("role '%(role)s' may not see preparations"), role=actor.role)
    administration = _administration(actor, administration_id)
    participant = _participant_of(kit_code, actor)
    ensure_participant_unlocked(participant)
    ensure_study_unlocked()
    if participant.status != Participant.Status.ENROLLED:
        raise StateConflictError(_("a participant who is %(status)s is not dosed"),
                                 status=participant.status)
    if participant.administrations.filter(administration_id=administration.id).exists():
        raise StateConflictError(_("%(administration)s is already given"),
                                 field="administration_id", administration=administration.name)
    if participant.preparations.filter(administration_id=administration.id).exists():
        raise StateConflictError(_("the kit for %(administration)s is already confirmed"),
                                 field="administration_id", administration=administration.name)
    prepared = KitPreparation.objects.create(
        participant=participant, administration_id=administration.id, kit_code=kit_code,
        prepared_by=actor.user, prepared_at=clock.now())
    record(actor, AuditAction.CONFIRM_PREPARATION, prepared, new={
        "participant": participant.screening_number, "administration": administration.id,
        "kit_code": kit_code})
    return prepared


def _administration(actor: Actor, administration_id: str) -> ProtocolAdministration:
    try:
        administration = actor.protocol().administration(administration_id)
    except KeyError:
        raise InvalidInputError(_("unknown administration '%(administration)s'"),
                                field="administration_id",
                                administration=administration_id) from None
    if administration.prepared_by != actor.role:
        raise NotPermittedError(_("%(administration)s is prepared by '%(role)s'"),
                                field="administration_id", administration=administration.name,
                                role=administration.prepared_by)
    return administration


def _participant_of(kit_code: str, actor: Actor) -> Participant:
    """The participant holding this kit, locked, if the actor may see their site."""
    slot = RandomizationSlot.objects.filter(
        kit_code=kit_code, randomization_list__study__protocol_id=current_study().protocol_id,
        participant__isnull=False).select_related("participant").first()
    if slot is None or slot.participant is None:
        raise NotFoundError(_("no allocated kit with this code"), field="kit_code")
    actor.require_site(slot.participant)
    return Participant.objects.select_for_update().get(pk=slot.participant.pk)
