"""A report's blocks as a PDF (fpdf2), the same bytes for the same blocks: the committee's
reports, a serious event's report and any other record people file or sign.

fpdf2 stamps the creation date (we pass the data date) and derives the file identifier from
the content when none is given, so nothing depends on the clock. The text font is DejaVu Sans,
which matplotlib ships (a dependency already): the core PDF fonts cannot print an em dash, a
"≥" or a participant's name outside Latin-1. Every page starts with the report's first line,
so a printed page says which report (a committee session and view, a participant) it belongs to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from trialkit.core.reporting.display import DisplayTable
from trialkit.reports.smc_sections import Block, Bullets, Heading, Paragraph

FONT = "DejaVu"
FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
SIZES = {1: 14, 2: 12, 3: 10}


class _Document(FPDF):  # type: ignore[misc]
    def __init__(self, first: str) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.first = first
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
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
    pdf = _Document(first)
    pdf.set_title(title)
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
