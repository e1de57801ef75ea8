"""A dose is one fact: the dose action fills the administration form of its visit, and a hand
entry of that form cannot contradict the dose on file.

What each item of the form holds is read from its meaning (``trialkit.core.forms.dose_record``):
when the dose was given, the kit or preparation code, whether product was given, and which
administration. The form is filled only where the dose gives every item the form requires; a
form that asks more (a volume, a lot) is left for the site to enter, and the dose's items in it
must then agree with the dose. Whether product was given is not held against a hand entry:
refusing it would tell a blinded person what the arm is.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from trialkit.core.forms.dose_record import GIVEN, DoseFacts, dose_values
from trialkit.core.forms.values import ItemValueError, JsonScalar, parse_value
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form
from trialkit.web.trial.access import procedure_of
from trialkit.web.trial.actions.base import Actor, InvalidInputError
from trialkit.web.trial.models import Administration, Participant


def dose_forms(protocol: Protocol, administration_id: str) -> tuple[Form, ...]:
    """The administration forms of the administration's visit, when it is the only
    administration given at that visit (otherwise a form could not tell which it records)."""
    visit = protocol.administration(administration_id).visit
    if sum(a.visit == visit for a in protocol.design.administrations) != 1:
        return ()
    return tuple(form for form_id in protocol.visit(visit).forms
                 for form in [protocol.form(form_id)] if form.kind == "administration")


def dose_facts(participant: Participant, dose: Administration, protocol: Protocol) -> DoseFacts:
    """The dose as the form records it; product is given unless the arm's procedure is
    ``none`` (read without audit: the action writes what it knows, nobody is shown it)."""
    procedure = procedure_of(participant, protocol, dose.administration_id)
    return DoseFacts(dose.administration_id, dose.given_at, dose.kit_code,
                     given=procedure != "none")


def values_of_dose(form: Form, facts: DoseFacts, protocol: Protocol) -> dict[str, JsonScalar]:
    """The form's items the dose fills, each value as a saved form holds it."""
    codelists = {c.id: c for c in protocol.codelists}
    ids = frozenset(a.id for a in protocol.design.administrations)
    items = {item.id: item for item in form.items}
    return {item_id: parse_value(items[item_id], value, codelists.get(
        items[item_id].codelist or ""))
        for item_id, value in dose_values(form, codelists, facts, ids).items()}


def refuse_other_dose_facts(participant: Participant, form: Form, visit_id: str,
                            data: Mapping[str, object], *, actor: Actor) -> None:
    """Refuse a hand entry of an administration form whose dose items differ from the dose on
    file, naming the first such item (nothing to check before the dose is recorded)."""
    if form.kind != "administration" or participant.pk is None:
        return
    protocol = actor.protocol()
    doses = {a.id for a in protocol.design.administrations if a.visit == visit_id
             and form in dose_forms(protocol, a.id)}
    dose = Administration.objects.filter(participant=participant,
                                         administration_id__in=doses).order_by("-pk").first()
    if dose is None:
        return
    codelists = {c.id: c for c in protocol.codelists}
    recorded = values_of_dose(form, dose_facts(participant, dose, protocol), protocol)
    for item in form.items:
        if item.id not in recorded or (item.cdisc is not None
                                       and item.cdisc.variable == GIVEN):
            continue
        try:
            entered = parse_value(item, data.get(item.id), codelists.get(item.codelist or ""))
        except ItemValueError:
            continue  # the form's validation names it
        if entered != recorded[item.id]:
            raise InvalidInputError(
                _("%(item)s is recorded with the dose (%(value)s): the form cannot say "
                  "otherwise"), field=item.id, item=item.label, value=recorded[item.id])


__all__ = ["dose_facts", "dose_forms", "refuse_other_dose_facts", "values_of_dose"]
