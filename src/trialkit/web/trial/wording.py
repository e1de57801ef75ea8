"""Core's sentences (gate checks, verdict names, refused input) in the reader's language.

Core keeps each sentence as a ``Wording``: a template marked with ``gettext_noop`` and its
values. Here the template is looked up in the catalogue of the active language and filled with
the same values (a value that is itself worded is read the same way). A check built without a
wording reads as its sentence.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext

from trialkit.core.scheduling import Check, Verdict, Wording
from trialkit.core.wording import capitalize


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
