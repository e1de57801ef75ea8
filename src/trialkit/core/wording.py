"""Sentences core writes for people, kept as a template and its values.

Core may not import Django, yet what it explains (a gate's checks, why a value is refused) is
read on pages in the reader's language. So a sentence is a ``Wording``: a message template with
``%(name)s`` placeholders, marked with ``gettext_noop`` (the catalogue's extractor finds the
calls by that name), and the values to fill it with. ``Wording.text`` is the English sentence;
a reader's layer translates the template and fills in the same values (ADR 0023).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


def gettext_noop(message: str) -> str:
    """Marks ``message`` for the translation catalogue and returns it unchanged."""
    return message


@dataclass(frozen=True)
class Wording:
    """A sentence as a message template with ``%(name)s`` placeholders and the values to fill
    them with: text (dates in ISO form, names as the protocol read gives them) or a worded
    phrase of its own, translated in turn."""

    template: str
    values: tuple[tuple[str, str | Wording], ...] = ()

    @property
    def text(self) -> str:
        """The sentence in the template's own language (English)."""
        if not self.values:  # a template without placeholders may hold a plain "%"
            return self.template
        return self.template % {key: value.text if isinstance(value, Wording) else value
                                for key, value in self.values}


def worded(template: str, **values: object) -> Wording:
    """``template`` with ``values`` as text; ``template`` must be a ``gettext_noop`` literal."""
    return Wording(template, tuple((key, _as_text(value)) for key, value in values.items()))


def _as_text(value: object) -> str | Wording:
    if isinstance(value, Wording):
        return value
    return value.isoformat() if isinstance(value, dt.date) else str(value)


__all__ = ["Wording", "gettext_noop", "worded"]
