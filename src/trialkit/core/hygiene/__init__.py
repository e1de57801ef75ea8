"""Input hygiene as pure rules: what text and dates the system accepts, and CSV cells made
safe for spreadsheets. The web boundary (``trialkit.web.boundary``) applies these rules to
every request and publishes them in the OpenAPI schema; docs/security.md, "Input hygiene",
describes them.
"""

from trialkit.core.hygiene.cells import (
    FORMULA_LEADS,
    LEAD_PATTERN,
    NUMBER_PATTERN,
    QUOTE,
    needs_quote,
    spreadsheet_safe,
)
from trialkit.core.hygiene.dates import (
    EARLIEST,
    YEARS_AHEAD,
    DateKind,
    check_date,
    check_moment,
    date_pattern,
    moment_pattern,
    parse_date,
    parse_local_moment,
    parse_moment,
    window,
)
from trialkit.core.hygiene.forms import BIRTH_DATE, date_kind, form_date_problems
from trialkit.core.hygiene.text import (
    CONTROLS,
    CONTROLS_IN_FREE_TEXT,
    IDENTIFIER,
    SPACES,
    USERNAME,
    InputRefusedError,
    TextRule,
    free_text,
    identifier,
    line,
    password,
    username,
)

__all__ = [
    "BIRTH_DATE", "CONTROLS", "CONTROLS_IN_FREE_TEXT", "EARLIEST", "FORMULA_LEADS",
    "IDENTIFIER", "LEAD_PATTERN", "NUMBER_PATTERN", "QUOTE", "SPACES", "USERNAME",
    "YEARS_AHEAD", "DateKind", "InputRefusedError", "TextRule", "check_date", "check_moment",
    "date_kind", "date_pattern", "form_date_problems", "free_text", "identifier", "line",
    "moment_pattern", "needs_quote", "parse_date", "parse_local_moment",
    "parse_moment", "password",
    "spreadsheet_safe", "username", "window",
]
