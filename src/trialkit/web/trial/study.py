"""The protocol the server runs, parsed once per version."""

from __future__ import annotations

from functools import lru_cache

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
    return _parse(study.protocol_version, study.protocol_text)
