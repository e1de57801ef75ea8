"""Case report form validation: item types, ranges, code lists, derived items, edit checks.

Pure: the web layer stores what ``validate_form`` returns and opens queries for its findings.
"""

from trialkit.core.forms.adverse_events import (
    AdverseEventItems,
    adverse_event_items,
    is_serious,
)
from trialkit.core.forms.checks import (
    Finding,
    asked_given_entries,
    asked_items,
    edit_check_problems,
)
from trialkit.core.forms.validate import FormCheck, ItemError, validate_form
from trialkit.core.forms.values import ItemValueError, JsonScalar, parse_value
from trialkit.core.forms.versions import item_changes

__all__ = [
    "AdverseEventItems", "Finding", "FormCheck", "ItemError", "ItemValueError", "JsonScalar",
    "adverse_event_items", "asked_given_entries", "asked_items", "edit_check_problems",
    "is_serious", "item_changes", "parse_value", "validate_form",
]
