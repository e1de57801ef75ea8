"""The protocol the server runs, parsed once per version, and the versions it has run.

Amendments are versions: loading one adds a ``Study`` row and makes it current, and every
stored record keeps the version it was made under. A version's amendment number is its place
among the versions of its protocol (0: as first loaded).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils import translation

from trialkit.core.protocol import Protocol, parse_protocol
from trialkit.web.trial.models import Study


class NoStudyError(Exception):
    """The server has no protocol loaded yet (run `trialkit web init`)."""


def current_study() -> Study:
    study = Study.objects.filter(is_current=True).first()
    if study is None:
        raise NoStudyError("no protocol is loaded; run `trialkit web init`")
    return study


@lru_cache(maxsize=16)
def _parse(version: str, text: str) -> Protocol:
    return parse_protocol(text, source=f"protocol {version[:12]}")


def protocol_of(study: Study) -> Protocol:
    """The protocol as written: what actions, analyses, exports and stored records use."""
    return _parse(study.protocol_version, study.protocol_text)


@lru_cache(maxsize=32)
def _in_language(version: str, text: str, language: str) -> Protocol:
    return _parse(version, text).in_language(language)


def protocol_to_read(study: Study) -> Protocol:
    """The protocol in the language of the request being answered, where it carries that
    language's words (docs/how-to/translate.md); as written otherwise. Only pages read it:
    the action kernel runs every write in the protocol's own words."""
    return _in_language(study.protocol_version, study.protocol_text,
                        translation.get_language() or settings.LANGUAGE_CODE)


def in_protocol_language() -> translation.override:
    """Read everything inside in the protocol's own words, whatever the request's language:
    for what is computed once for every reader (analyses, exports) or stored (the kernel)."""
    return translation.override(settings.LANGUAGE_CODE)


@dataclass(frozen=True)
class VersionView:
    """A protocol version as people read it: "amendment 1 (3f9a0c21d4e2)", current or not."""

    version: str
    short: str
    amendment: int
    loaded_at: dt.datetime
    current: bool

    def __str__(self) -> str:
        return f"amendment {self.amendment} ({self.short})" if self.amendment else \
            f"original version ({self.short})"


def versions() -> dict[str, VersionView]:
    """Every version this server has loaded, by hash (one query: there are few)."""
    views: dict[str, VersionView] = {}
    seen: dict[str, int] = {}
    for study in Study.objects.order_by("pk"):
        amendment = seen.get(study.protocol_id, 0)
        seen[study.protocol_id] = amendment + 1
        views[study.protocol_version] = VersionView(
            study.protocol_version, study.protocol_version[:12], amendment, study.loaded_at,
            study.is_current)
    return views


def version_view(version: str) -> VersionView | None:
    """The protocol version with this hash, None if this server never loaded it."""
    return versions().get(version)
