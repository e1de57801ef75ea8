"""Consent is one fact: the consent action fills the consent form, and a hand entry of that
form cannot contradict the consent on file.

What each item of the form holds is read from the protocol (``holds:``, in
``trialkit.core.forms.consent_record``): the date signed, the version of the consent document
and who took consent. The form is filled only where the consent gives every item the form
requires; a form that asks more (whether the participant signed personally) is left for the
site to enter, and the consent's items in it must then agree with the consent on file.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from trialkit.core.forms.consent_record import ConsentFacts, consent_values
from trialkit.core.forms.values import ItemValueError, parse_value
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form
from trialkit.web.trial.actions.base import InvalidInputError
from trialkit.web.trial.models import Participant


def consent_forms(protocol: Protocol) -> tuple[tuple[str, Form], ...]:
    """(visit id, form) of each consent form whose items hold a fact of the consent and which
    one visit lists (a form listed at several visits could not tell which consent it is)."""
    found = []
    for form in protocol.forms:
        if form.kind != "consent" or not any(i.holds for i in form.items):
            continue
        visits = [v.id for v in protocol.schedule.visits if form.id in v.forms]
        if len(visits) == 1:
            found.append((visits[0], form))
    return tuple(found)


def facts_on_file(participant: Participant) -> ConsentFacts | None:
    """The consent on file, as the action recorded it (None: no consent yet)."""
    if participant.consent_date is None:
        return None
    return ConsentFacts(participant.consent_date, participant.consent_form_version,
                        participant.consent_taken_by)


def refuse_other_consent_facts(participant: Participant, form: Form,
                               data: Mapping[str, object]) -> None:
    """Refuse a hand entry of a consent form whose consent items differ from the consent on
    file, naming the first such item (nothing to check before consent is recorded)."""
    if form.kind != "consent" or participant.pk is None:
        return
    row = Participant.objects.filter(pk=participant.pk).first()  # as committed, not as passed
    facts = facts_on_file(row) if row is not None else None
    if facts is None:
        return
    items = {item.id: item for item in form.items}
    for item_id, recorded in consent_values(form, facts).items():
        try:
            entered = parse_value(items[item_id], data.get(item_id), None)
        except ItemValueError:
            continue  # the form's validation names it
        if entered != recorded:
            raise InvalidInputError(
                _("%(item)s is recorded with the consent (%(value)s): the form cannot say "
                  "otherwise"), field=item_id, item=items[item_id].label, value=recorded)


__all__ = ["consent_forms", "facts_on_file", "refuse_other_consent_facts"]
