"""The screening checklist explains each criterion in the reader's language.

Before, the in-memory engine composed every explanation as an English f-string ("Latest EDSS
score in the screening window (...) is 3.5, which is at least 2."), so the Traditional Chinese
screening page showed Chinese criterion texts beside English explanations and English lists of
missing data. Now core keeps an outcome's explanation and gaps as worded templates; the page
reads them in the active language, with the protocol's own words (value-set descriptions, record
nouns, attestation labels) from its translation where it carries one."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from tests.integration.pages.support import text_of
from tests.integration.pages.test_screening_page import _consent, _enter_all, _register
from trialkit.web.pages.screening_checklist import checklist

pytestmark = pytest.mark.protocols()

CJK = re.compile(r"[\u4e00-\u9fff]")


def _day0() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=7)


def _lines(participant, protocol, language: str):
    with translation.override(language):
        _verdict, lines, problem = checklist(participant, protocol.in_language(language),
                                             _day0())
    assert not problem
    return lines


def _page(client, participant, language: str) -> str:
    client.cookies["trialkit_language"] = language
    return text_of(client.get(reverse("pages:screening", args=[participant.pk]),
                              {"index_date": _day0().isoformat()}).content)


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", " ", text).lower()


@pytest.mark.parametrize("entered", [False, True], ids=["before any form", "after every form"])
def test_every_explanation_and_gap_is_read_in_chinese_on_a_chinese_page(
        trial, make_actor, entered):
    client, _, participant = _register(trial, make_actor, f"S-Z{int(entered)}")
    if entered:
        consent = _consent(client, participant)
        _enter_all(trial, participant, make_actor,
                   trial.screening_forms(timezone.localdate(), consent=consent))
    english, chinese = _lines(participant, trial.protocol, "en"), \
        _lines(participant, trial.protocol, "zh-hant")
    page = _page(client, participant, "zh-hant")
    for en, zh in zip(english, chinese, strict=True):
        assert CJK.search(zh.explanation), f"{zh.id}: {zh.explanation}"
        assert _squeezed(zh.explanation) in page, zh.id
        assert _squeezed(en.explanation) not in page, en.id
        assert len(zh.missing) == len(en.missing)
        for gap in zh.missing:
            assert CJK.search(gap) and _squeezed(gap) in page, gap
    # The English page is the engine's English, as the API and the stored evaluation say it.
    english_page = _page(client, participant, "en")
    for line in english:
        assert _squeezed(line.explanation) in english_page, line.id
