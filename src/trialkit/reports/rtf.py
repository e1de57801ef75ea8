"""Submission-style RTF tables with rtflite (a maintained RTF composer for clinical tables):
one file per analysis, its display tables one after another, the view and stamp as titles
and the notes as footnotes."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import rtflite as rtf

from trialkit.core.reporting.display import DisplayTable
from trialkit.core.reporting.stamp import Stamp


def _frame(table: DisplayTable) -> pl.DataFrame:
    names = [h or " " * (i + 1) for i, h in enumerate(table.header)]
    names = [f"{n} ({i})" if names.count(n) > 1 else n for i, n in enumerate(names)]
    rows = table.rows or (tuple("" for _ in names),)
    return pl.DataFrame({n: [r[i] for r in rows] for i, n in enumerate(names)},
                        schema=dict.fromkeys(names, pl.String))


def write_rtf(path: Path, title: str, tables: Sequence[DisplayTable], notes: Sequence[str],
              stamp: Stamp) -> None:
    frames = [_frame(t) for t in tables]
    if not frames:
        frames = [pl.DataFrame({"Result": ["not estimable on these data"]})]
        tables = [DisplayTable(title, ("Result",), (("not estimable on these data",),))]
    document = rtf.RTFDocument(
        df=frames,
        rtf_title=rtf.RTFTitle(text=[stamp.headline, title]),
        rtf_column_header=[[rtf.RTFColumnHeader(text=list(t.header) or [" "])]
                           for t in tables],
        rtf_body=[rtf.RTFBody(subline_by=None, col_rel_width=[1] * len(f.columns))
                  for f in frames],
        rtf_footnote=rtf.RTFFootnote(text=[*notes, *(n for t in tables for n in t.notes)])
        if notes or any(t.notes for t in tables) else None,
        rtf_source=rtf.RTFSource(text=["; ".join(stamp.lines())]))
    with contextlib.redirect_stdout(io.StringIO()):  # rtflite prints the path it wrote
        document.write_rtf(str(path))
