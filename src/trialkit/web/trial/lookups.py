"""Finding the objects a path names, within what the actor may see (their sites, and the
forms their role reads).

An object at another site, or on a form the role does not read, answers exactly like one that
does not exist, so ids cannot be used to probe other sites or unreadable forms.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from trialkit.web.trial.actions.base import Actor, NotFoundError
from trialkit.web.trial.actions.forms import readable
from trialkit.web.trial.models import FormRecord, Participant, Query
from trialkit.web.trial.scope import in_scope


def visible_participants(actor: Actor) -> QuerySet[Participant]:
    return in_scope(actor, Participant.objects.select_related("site").order_by("id"))


def participant_for(actor: Actor, participant_id: int) -> Participant:
    participant = visible_participants(actor).filter(id=participant_id).first()
    if participant is None:
        raise NotFoundError(_("no such participant"), field="participant_id")
    return participant


def form_record_for(actor: Actor, record_id: int) -> FormRecord:
    form_record = readable(actor, in_scope(actor, FormRecord.objects.select_related(
        "participant").filter(id=record_id), "participant")).first()
    if form_record is None:
        raise NotFoundError(_("no such form record"), field="record_id")
    return form_record


def query_for(actor: Actor, query_id: int) -> Query:
    query = readable(actor, in_scope(actor, Query.objects.select_related(
        "record__participant").filter(id=query_id), "record__participant"), "record").first()
    if query is None:
        raise NotFoundError(_("no such query"), field="query_id")
    return query
