"""One participant's audit trail: every event about the participant or a record of theirs the
reader may read, oldest first, masked for the reader as the audit page masks it.

An event names its object by type and primary key, not by participant, so the participant's
objects are gathered first: the participant, their visits, doses, deviations and
randomization slot (any model with a ``participant`` key), and the versions, signatures,
queries and serious-event clocks of the forms the reader's role reads.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q

from trialkit.web.pages.trail_listing import shown_events
from trialkit.web.trial.actions.base import Actor
from trialkit.web.trial.actions.forms import readable
from trialkit.web.trial.models import (
    AuditEvent,
    FormRecord,
    FormVersion,
    Participant,
    Query,
    SeriousEventClock,
    Signature,
)


def participant_trail(participant: Participant, actor: Actor) -> list[AuditEvent]:
    """The events, each with the words ``trail_listing.shown_events`` gives."""
    actor.require_site(participant)
    records = readable(actor, FormRecord.objects.filter(participant=participant))
    subjects: dict[str, set[int]] = {"Participant": {participant.pk}}
    for model in apps.get_app_config("trial").get_models():
        if model is not Participant and any(f.name == "participant"
                                            for f in model._meta.get_fields()):
            subjects.setdefault(model.__name__, set()).update(
                model.objects.filter(participant=participant).values_list("pk", flat=True))
    for model, path in ((FormRecord, "pk__in"), (FormVersion, "record__in"),
                        (Signature, "version__record__in"), (Query, "record__in"),
                        (SeriousEventClock, "record__in")):
        subjects.setdefault(model.__name__, set()).update(
            model.objects.filter(**{path: records}).values_list("pk", flat=True))
    about = Q(pk__in=[])
    for object_type, pks in subjects.items():
        if pks:
            about |= Q(object_type=object_type, object_id__in=[str(pk) for pk in pks])
    return list(shown_events(actor, AuditEvent.objects.filter(about).order_by("sequence")))
