"""Every character of a PDF's text is printed (pdf_fonts.py, pdf_document.py).

fpdf2 drops a character its font has no glyph for, with only a warning: a casebook once lost a
Chinese adverse-event term and the investigator's Chinese name. The fallback font here is one
the test builds (three Chinese characters drawn as boxes), so the test holds on any machine.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from pypdf import PdfReader

from trialkit.core.reporting.display import DisplayTable
from trialkit.reports.pdf_document import UNPRINTABLE_NOTE, render_pdf
from trialkit.reports.pdf_fonts import ENVIRONMENT, plan_for
from trialkit.reports.smc_sections import Bullets, Heading, Paragraph

DRAWN = "林醫師"  # the only characters the test's font has
CREATED = dt.datetime(2027, 1, 4, tzinfo=dt.UTC)


def _box_font(path: Path, characters: str) -> Path:
    """A TrueType font whose every glyph is a square, for ``characters`` only."""
    names = [".notdef", *(f"uni{ord(c):04X}" for c in characters)]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({ord(c): f"uni{ord(c):04X}" for c in characters})
    glyphs = {}
    for name in names:
        pen = TTGlyphPen(None)
        for x, y in ((100, 0), (100, 800), (900, 800), (900, 0)):
            (pen.lineTo if (x, y) != (100, 0) else pen.moveTo)((x, y))
        pen.closePath()
        glyphs[name] = pen.glyph()
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics(dict.fromkeys(names, (1000, 100)))
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": "Boxes", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    builder.save(str(path))
    return path


def _text(pdf: bytes) -> str:
    """The PDF's text with the spaces extraction puts between wide characters removed."""
    return "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
                   .split())


def _blocks(words: str) -> list:
    return [Heading(f"Adverse event {words}"), Paragraph(f"Reported by {words}"),
            Bullets((f"Term: {words}",)),
            DisplayTable("Events", ("Term", "By"), ((words, "Dr " + words),), (words,))]


def test_a_character_the_text_font_lacks_is_drawn_from_a_fallback_font(monkeypatch, tmp_path):
    monkeypatch.setenv(ENVIRONMENT, str(_box_font(tmp_path / "boxes.ttf", DRAWN)))
    text = _text(render_pdf(f"Participant {DRAWN}", DRAWN, _blocks(DRAWN), CREATED))
    assert text.count(DRAWN) == 7  # first line, heading, paragraph, bullet, 2 cells, note
    assert "[U+" not in text


def test_a_character_no_font_draws_is_printed_as_its_code_point_under_a_note(
        monkeypatch, tmp_path):
    monkeypatch.setenv(ENVIRONMENT, str(_box_font(tmp_path / "boxes.ttf", DRAWN)))
    words = f"{DRAWN}頭痛"  # the font draws the name; nothing here draws 頭 (U+982D) or 痛
    text = _text(render_pdf(f"Participant {words}", words, _blocks(words), CREATED))
    assert "".join(UNPRINTABLE_NOTE.split()) in text
    assert text.count(f"{DRAWN}[U+982D][U+75DB]") == 7


def test_no_fallback_font_leaves_every_foreign_character_readable(monkeypatch):
    monkeypatch.setenv(ENVIRONMENT, "")
    text = _text(render_pdf("Participant S-01", "t", [Paragraph(f"By {DRAWN}")], CREATED))
    assert "By[U+6797][U+91AB][U+5E2B]" in text


@pytest.mark.parametrize("words", ["Grade ≥ 3 — résumé, Ωmega", "plain"])
def test_text_the_text_font_draws_needs_no_fallback(monkeypatch, tmp_path, words):
    monkeypatch.setenv(ENVIRONMENT, str(_box_font(tmp_path / "boxes.ttf", DRAWN)))
    plan = plan_for([words])
    assert plan.fallbacks == () and plan.unprintable == frozenset()
    assert plan.shown(words) == words


def test_a_configured_font_that_is_missing_is_passed_over(monkeypatch, tmp_path):
    boxes = _box_font(tmp_path / "boxes.ttf", DRAWN)
    import os
    monkeypatch.setenv(ENVIRONMENT, os.pathsep.join([str(tmp_path / "gone.ttf"), str(boxes)]))
    plan = plan_for([DRAWN])
    assert [font.path for font in plan.fallbacks] == [boxes] and not plan.unprintable
