"""Form submissions at the boundary: the absolute plausibility of their dates.

Which items a form has and what each takes is the protocol's, checked by the form validation
the save action runs; the date window (``trialkit.core.hygiene.forms``) is checked here first,
for the API and the pages alike, so an implausible date never reaches the action.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from trialkit.core.hygiene import form_date_problems
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form
from trialkit.core.wording import Wording
from trialkit.web.trial.actions.base import InvalidInputError
from trialkit.web.trial.wording import read, read_lazily


def date_problems(form: Form, data: Mapping[str, object]) -> dict[str, str]:
    """Item id → why its date is implausible, in the active language."""
    return {item: read(problem) for item, problem in _problems(form, data).items()}


def _problems(form: Form, data: Mapping[str, object]) -> dict[str, Wording]:
    from trialkit.web.trial.gate_facts import today

    return form_date_problems(form, data, today())


def refuse_implausible_dates(protocol: Protocol, form_id: str,
                             data: Mapping[str, object]) -> None:
    """Raise InvalidInputError naming the first implausible date item (``data.<item>``); an
    unknown form is left to the action, which refuses it."""
    try:
        form = protocol.form(form_id)
    except KeyError:
        return
    for item, problem in _problems(form, data).items():
        # Worded where it is read: the reader's language on a page, English in the API.
        raise InvalidInputError(_("%(item)s %(problem)s"), field=f"data.{item}", item=item,
                                problem=read_lazily(problem))
