"""Core's worded sentences read in the active language (trialkit.web.trial.wording)."""

from __future__ import annotations

from django.utils import translation

from trialkit.core.scheduling.checks import Check, check_that, gettext_noop, worded
from trialkit.web.trial.wording import read, reasons_of, sentence_of


def test_a_worded_check_reads_as_its_english_sentence_and_as_the_catalogues_translation():
    check = check_that("cap", True, gettext_noop(
        "%(enrolled)s of %(target)s participants of %(part)s are enrolled; participant "
        "%(next)s fits."), enrolled=2, target=6, part="Phase I", next=3)
    assert check.sentence == "2 of 6 participants of Phase I are enrolled; participant 3 fits."
    with translation.override("en"):
        assert sentence_of(check) == check.sentence
    with translation.override("zh-hant"):
        assert sentence_of(check) == "Phase I 的目標 6 位受試者中已收案 2 位；第 3 位仍在名額內。"


def test_a_phrase_inside_a_sentence_is_translated_in_turn_and_an_empty_one_stays_empty():
    where = worded(gettext_noop("in no period yet"))
    sentence = worded(gettext_noop(
        "The %(administration)s belongs to %(period)s, which is over: the participant is "
        "%(where)s."), administration="infusion", period="Period 1", where=where)
    assert sentence.text.endswith("the participant is in no period yet.")
    with translation.override("zh-hant"):
        assert read(sentence).endswith("受試者目前尚未進入任何期別。")
        # gettext("") is the catalogue's header: an empty phrase must not read as it.
        assert read(worded("")) == ""


def test_a_check_without_wording_reads_as_its_sentence_and_reasons_are_worded_when_read():
    plain = Check("own", False, "Said once, in one language.")
    assert sentence_of(plain) == plain.sentence
    unmet = check_that("eligible", False, gettext_noop(
        "The participant is not confirmed eligible."))
    reasons = reasons_of([plain, unmet])
    with translation.override("zh-hant"):
        assert str(reasons) == "Said once, in one language. 受試者尚未確認符合資格。"
    with translation.override("en"):
        assert str(reasons).endswith("The participant is not confirmed eligible.")


def test_a_counted_phrase_takes_the_plural_its_count_needs_in_each_language():
    from trialkit.core.wording import ngettext

    one, two = (ngettext("%(count)s month", "%(count)s months", k) for k in (1, 2))
    assert (one.text, two.text) == ("1 month", "2 months")
    with translation.override("en"):
        assert (read(one), read(two)) == ("1 month", "2 months")
    with translation.override("zh-hant"):
        assert (read(one), read(two)) == ("1 個月", "2 個月")


def test_a_sentence_that_starts_with_a_value_is_capitalized_where_english_reads_it():
    from trialkit.core.wording import capitalized, joined, plain

    values = joined(["3.5", plain("4.0")], gettext_noop("%(first)s; %(rest)s"))
    sentence = capitalized(worded(gettext_noop("%(what)s is %(values)s, within %(span)s."),
                                  what=worded(gettext_noop("latest %(rows)s"), rows="score"),
                                  values=values, span="2 to 6.5"))
    assert sentence.text == "Latest score is 3.5; 4.0, within 2 to 6.5."
    with translation.override("en"):
        assert read(sentence) == sentence.text
    with translation.override("zh-hant"):
        assert read(sentence) == "最近一次score為 3.5；4.0，在 2 to 6.5 之內。"
