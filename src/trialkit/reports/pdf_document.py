"""A report's blocks as a PDF (fpdf2), the same bytes for the same blocks: the committee's
reports, a serious event's report and any other record people file or sign.

fpdf2 stamps the creation date (we pass the data date) and derives the file identifier from
the content when none is given, so nothing depends on the clock. The text font is DejaVu Sans,
which matplotlib ships (a dependency already): the core PDF fonts cannot print an em dash, a
"≥" or a participant's name outside Latin-1. Text DejaVu cannot draw (Chinese, say) is drawn
from fallback fonts found on the machine, and a character no font draws is printed as its code
point with a note (pdf_fonts.py): fpdf2 would otherwise drop it. Every page starts with the
report's first line, so a printed page says which report (a committee session and view, a
participant) it belongs to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from fpdf import FPDF
from fpdf.fonts import FontFace

from trialkit.core.reporting.display import DisplayTable
from trialkit.reports.pdf_fonts import TEXT_FONTS, FontPlan, plan_for
from trialkit.reports.smc_sections import Block, Bullets, Heading, Paragraph

FONT = "DejaVu"
SIZES = {1: 14, 2: 12, 3: 10}
UNPRINTABLE_NOTE = (
    "Some characters have no font on this server and are printed as their Unicode code point "
    "([U+XXXX]); install a font that covers them (docs/deploy.md, PDF fonts).")


class _Document(FPDF):  # type: ignore[misc]
    def __init__(self, first: str, fonts: FontPlan) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.first = fonts.shown(first)
        self.add_font(FONT, "", str(TEXT_FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(TEXT_FONTS / "DejaVuSans-Bold.ttf"))
        for fallback in fonts.fallbacks:
            self.add_font(fallback.family, "", str(fallback.path),
                          collection_font_number=fallback.face)
        if fonts.fallbacks:  # bold text falls back to the regular face: no bold CJK needed
            self.set_fallback_fonts([f.family for f in fonts.fallbacks], exact_match=False)
        self.set_auto_page_break(auto=True, margin=14)
        self.set_margins(12, 12, 12)

    def header(self) -> None:
        self.set_font(FONT, "B", 9)
        self.multi_cell(0, 5, self.first, border=1, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, "", 7)
        self.cell(0, 5, f"Page {self.page_no()}/{{nb}}", align="C")


def render_pdf(first: str, title: str, blocks: Sequence[Block],
               created: dt.datetime) -> bytes:
    fonts = plan_for([first, title, *(text for block in blocks for text in _texts(block))])
    if fonts.unprintable:
        blocks = [Paragraph(UNPRINTABLE_NOTE), *blocks]
    blocks = [_shown(block, fonts) for block in blocks]
    pdf = _Document(first, fonts)
    pdf.set_title(fonts.shown(title))
    pdf.set_creator("trialkit")
    pdf.set_creation_date(created)
    pdf.add_page()
    for block in blocks:
        if isinstance(block, Heading):
            pdf.ln(1)
            pdf.set_font(FONT, "B", SIZES.get(block.level, 10))
            pdf.multi_cell(0, 6, block.text, new_x="LMARGIN", new_y="NEXT")
        elif isinstance(block, Paragraph):
            pdf.set_font(FONT, "", 8)
            pdf.multi_cell(0, 4, block.text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif isinstance(block, Bullets):
            pdf.set_font(FONT, "", 8)
            for item in block.items:
                pdf.multi_cell(0, 4, f"• {item}", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif isinstance(block, DisplayTable):
            _table(pdf, block)
    return bytes(pdf.output())


def _texts(block: Block) -> tuple[str, ...]:
    if isinstance(block, Heading | Paragraph):
        return (block.text,)
    if isinstance(block, Bullets):
        return block.items
    return (block.title, *block.header, *(v for row in block.rows for v in row), *block.notes)


def _shown(block: Block, fonts: FontPlan) -> Block:
    """The block with each character no font draws printed as its code point."""
    if not fonts.unprintable:
        return block
    if isinstance(block, Heading):
        return replace(block, text=fonts.shown(block.text))
    if isinstance(block, Paragraph):
        return replace(block, text=fonts.shown(block.text))
    if isinstance(block, Bullets):
        return replace(block, items=tuple(fonts.shown(item) for item in block.items))
    return replace(block, title=fonts.shown(block.title),
                   header=tuple(fonts.shown(h) for h in block.header),
                   rows=tuple(tuple(fonts.shown(v) for v in row) for row in block.rows),
                   notes=tuple(fonts.shown(n) for n in block.notes))


def _table(pdf: _Document, table: DisplayTable) -> None:
    pdf.set_font(FONT, "B", 8)
    pdf.multi_cell(0, 4, table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 6.5 if len(table.header) > 8 else 7)
    rows = table.rows or (("no records", *("",) * (len(table.header) - 1)),)
    with pdf.table(headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
                   line_height=3.4, text_align="LEFT", padding=0.6) as grid:
        heading = grid.row()
        for name in table.header:
            heading.cell(name)
        for values in rows:
            row = grid.row()
            for value in values:
                row.cell(value)
    if table.notes:
        pdf.set_font(FONT, "", 6.5)
        for note in table.notes:
            pdf.multi_cell(0, 3.4, f"Note: {note}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
