"""Which forms play a special part, read from their items (no form ids in code).

- An **adverse-event form** has a boolean ``serious`` item and a ``ctcae_grade`` item (the item
  vocabulary of trialkit.core.scoring.ctcae). It is entered under the ``report_adverse_event``
  permission, and saving it as serious starts the serious-event reporting clock.
- An **assessment form** carries a derived item checked against an entered rating (the rater's
  EDSS against the EDSS computed from the Functional Systems). Roles that only assess (see
  trialkit.web.trial.actions.forms) may enter only these.
"""

from __future__ import annotations

from collections.abc import Mapping

from trialkit.core.forms.checks import SERIOUS_ITEM
from trialkit.core.protocol.forms import Form

GRADE_ITEM = "ctcae_grade"


def is_adverse_event_form(form: Form) -> bool:
    types = {item.id: item.type for item in form.items}
    return types.get(SERIOUS_ITEM) == "boolean" and GRADE_ITEM in types


def is_assessment_form(form: Form) -> bool:
    return any(item.derived is not None and item.derived.check_against is not None
               for item in form.items)


def is_serious(form: Form, values: Mapping[str, object]) -> bool:
    """Whether saved values of an adverse-event form say the event is serious."""
    return is_adverse_event_form(form) and values.get(SERIOUS_ITEM) is True


def item_changes(before: Mapping[str, object],
                 after: Mapping[str, object]) -> dict[str, tuple[object, object]]:
    """Item id → (old, new) for every item whose value differs between two versions."""
    return {key: (before.get(key), after.get(key))
            for key in sorted({*before, *after}) if before.get(key) != after.get(key)}
