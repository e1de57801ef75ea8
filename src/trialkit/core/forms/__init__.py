"""Case report form validation: item types, ranges, code lists, derived items, edit checks.

Pure: the web layer stores what ``validate_form`` returns and opens queries for its findings.
"""

from trialkit.core.forms.checks import Finding
from trialkit.core.forms.kinds import (
    is_adverse_event_form,
    is_assessment_form,
    is_serious,
    item_changes,
)
from trialkit.core.forms.validate import FormCheck, ItemError, validate_form
from trialkit.core.forms.values import ItemValueError, JsonScalar, parse_value

__all__ = [
    "Finding", "FormCheck", "ItemError", "ItemValueError", "JsonScalar", "is_adverse_event_form",
    "is_assessment_form", "is_serious", "item_changes", "parse_value", "validate_form",
]
