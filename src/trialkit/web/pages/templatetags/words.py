"""Template filters that put a stored code into the words of the protocol or of trialkit:
``{{ role_names|lookup:v.saved_role }}`` (every page has ``role_names``), ``{{ role.can|
permissions }}``, ``{{ role.sees|information }}``, and a moment on the page's clock with its
offset: ``{{ dose.given_at|moment }}`` (``2026-12-03 09:30 UTC+8``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django import template

from trialkit.web.pages.local_time import wall_clock
from trialkit.web.pages.vocabulary import INFORMATION_WORDS, PERMISSION_WORDS

register = template.Library()


@register.filter
def lookup(mapping: Mapping[str, str] | None, key: str) -> str:
    """The words for ``key`` in ``mapping``; the key itself when it has none (a role an
    amendment removed, an empty role)."""
    return (mapping or {}).get(key, key)


@register.filter
def permissions(codes: Iterable[str]) -> str:
    return "; ".join(PERMISSION_WORDS.get(code, code) for code in codes)


@register.filter
def information(codes: Iterable[str]) -> str:
    return "; ".join(INFORMATION_WORDS.get(code, code) for code in codes)


@register.filter
def moment(value: dt.datetime | None) -> str:
    return "" if value is None else wall_clock(value)
