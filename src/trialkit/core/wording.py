"""Sentences core writes for people, kept as a template and its values.

Core may not import Django, yet what it explains (a gate's checks, why a value is refused, why
a criterion is met) is read on pages in the reader's language. So a sentence is a ``Wording``:
a message template with ``%(name)s`` placeholders, marked with ``gettext_noop`` (the
catalogue's extractor finds the calls by that name), and the values to fill it with.
``Wording.text`` is the English sentence; a reader's layer translates the template and fills in
the same values (ADR 0023).

A sentence with a count has a plural template (``ngettext``), and one that starts with a value
("latest EDSS score ... is 3.5") is marked ``capitalized`` so English capitalizes what the
value begins with; lists are worded by ``joined`` so each language has its own separator.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


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
    plural: str = ""
    """The plural template when the sentence depends on ``count`` (``ngettext``)."""
    count: int = 1
    capitalized: bool = False
    """The sentence starts with a value: its first letter is capitalized where it is read."""

    def chosen(self) -> str:
        """The English template for ``count``."""
        return self.plural if self.plural and self.count != 1 else self.template

    @property
    def text(self) -> str:
        """The sentence in the template's own language (English)."""
        template = self.chosen()
        if not self.values:  # a template without placeholders may hold a plain "%"
            return capitalize(template) if self.capitalized else template
        filled = template % {key: value.text if isinstance(value, Wording) else value
                             for key, value in self.values}
        return capitalize(filled) if self.capitalized else filled

    def to_json(self) -> dict[str, Any]:
        """The wording as stored beside the English text it gives (a saved form's findings),
        so that a page can read it in another language later."""
        data: dict[str, Any] = {"template": self.template, "values": [
            [key, value.to_json() if isinstance(value, Wording) else value]
            for key, value in self.values]}
        if self.plural:
            data.update(plural=self.plural, count=self.count)
        if self.capitalized:
            data["capitalized"] = True
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Wording:
        return cls(str(data["template"]), tuple(
            (str(key), cls.from_json(value) if isinstance(value, Mapping) else str(value))
            for key, value in data.get("values", ())), str(data.get("plural", "")),
            int(data.get("count", 1)), bool(data.get("capitalized", False)))


def worded(template: str, **values: object) -> Wording:
    """``template`` with ``values`` as text; ``template`` must be a ``gettext_noop`` literal."""
    return Wording(template, tuple((key, _as_text(value)) for key, value in values.items()))


def ngettext(singular: str, plural: str, count: int, **values: object) -> Wording:
    """A sentence whose template depends on ``count``, which is also the value ``count``.

    Named after gettext's plural call so that the catalogue's extractor finds both templates
    (its default keyword ``ngettext:1,2``); it translates nothing: the reader's layer does."""
    return Wording(singular, tuple((key, _as_text(value)) for key, value in
                                   {"count": count, **values}.items()), plural, count)


def capitalized(wording: Wording) -> Wording:
    """``wording`` as the start of a sentence."""
    return dataclasses.replace(wording, capitalized=True)


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def joined(parts: Sequence[Wording | str], template: str) -> Wording:
    """``parts`` as one phrase, each pair joined by ``template`` (a ``gettext_noop`` literal
    with ``%(first)s`` and ``%(rest)s``, such as ``"%(first)s; %(rest)s"``)."""
    if not parts:
        return Wording("")
    whole: Wording | str = parts[-1]
    for part in reversed(parts[:-1]):
        whole = worded(template, first=part, rest=whole)
    return whole if isinstance(whole, Wording) else plain(whole)


def plain(text: str) -> Wording:
    """``text`` as it is, in every language: a protocol's own word, a value, a date."""
    return Wording("%(text)s", (("text", text),))


def _as_text(value: object) -> str | Wording:
    if isinstance(value, Wording):
        return value
    return value.isoformat() if isinstance(value, dt.date) else str(value)


__all__ = ["Wording", "capitalize", "capitalized", "gettext_noop", "joined", "ngettext",
           "plain", "worded"]
