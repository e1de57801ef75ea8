"""Core's sentences (gate checks, verdict names, refused input) in the reader's language.

Core keeps each sentence as a ``Wording``: a template marked with ``gettext_noop`` and its
values. Here the template is looked up in the catalogue of the active language and filled with
the same values (a value that is itself worded is read the same way). A check built without a
wording reads as its sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext

from trialkit.core.protocol.forms import Form
from trialkit.core.scheduling import Check, Verdict, Wording
from trialkit.core.wording import capitalize, gettext_noop


def read(wording: Wording) -> str:
    """``wording`` in the active language."""
    if not wording.template:  # gettext("") is the catalogue's header, not an empty phrase
        return ""
    template = (ngettext(wording.template, wording.plural, wording.count) if wording.plural
                else gettext(wording.template))
    if wording.values:  # a template without placeholders may hold a plain "%"
        template = template % {key: read(value) if isinstance(value, Wording) else value
                               for key, value in wording.values}
    return capitalize(template) if wording.capitalized else template


_read_lazily = lazy(read, str)


def read_lazily(wording: Wording) -> str:
    """``wording`` read when it is read: a refusal's message, worded where it is shown."""
    return _read_lazily(wording)  # type: ignore[no-any-return]


def sentence_of(check: Check) -> str:
    return read(check.wording) if check.wording is not None else check.sentence


def name_of(verdict: Verdict) -> str:
    return read(verdict.wording) if verdict.wording is not None else verdict.name


def _joined(phrases: tuple[object, ...], separator: str) -> str:
    return separator.join(str(phrase) for phrase in phrases)


_joined_lazily = lazy(_joined, str)


def joined_when_read(phrases: Iterable[object], separator: str) -> str:
    """Phrases (lazy translations among them) joined when the whole is read, so each is worded
    in the language active then: a refusal's reasons, read on a page or in the API."""
    return _joined_lazily(tuple(phrases), separator)  # type: ignore[no-any-return]


def reasons_of(checks: Iterable[Check]) -> str:
    """The sentences of ``checks`` (the unmet ones of a refusal), worded when the refusal is
    read: in the reader's language on a page, in the protocol's in the API and audit trail."""
    return joined_when_read((_sentence_lazily(check) for check in checks), " ")


_sentence_lazily = lazy(sentence_of, str)


def edit_check_read(text: str, form: Form | None, check_id: str = "",
                    wording: Mapping[str, Any] | None = None) -> str:
    """An edit check's message, stored in the protocol's language, in the reader's: a protocol
    check by its id from ``form`` as the reader's protocol words it, trialkit's own sentence
    from its wording; as stored otherwise (written by a person, or kept before either was)."""
    if check_id and form is not None:
        message = next((check.message for check in form.checks if check.id == check_id), None)
        if message is not None:
            return message
    if wording:
        return read(Wording.from_json(wording))
    return text


RESOLVED_BY = gettext_noop("Resolved by version %(version)s.")
"""What the edit checks write on a query a later version resolves, stored in English like
every record; ``system_message_read`` reads it in the reader's language."""
_RESOLVED = re.compile(re.escape(RESOLVED_BY).replace(re.escape("%(version)s"), r"(\d+)"))


def resolved_by(version: int) -> str:
    return RESOLVED_BY % {"version": version}


def system_message_read(text: str) -> str:
    """A message the edit checks wrote on a query, in the reader's language: the number is all
    the resolving message carries; the opening message is the query's text."""
    resolved = _RESOLVED.fullmatch(text)
    if resolved is None:
        return text
    return gettext(RESOLVED_BY) % {"version": resolved.group(1)}

