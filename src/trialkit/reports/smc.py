"""The safety monitoring committee's report for one committee gate, as HTML and PDF.

``smc_report(protocol, rows, gate)`` builds the open-session report from pooled rows: the gate
rule and its status on the data date, exposure, the protocol's declared safety tables for the
reviewed part and for everyone, serious adverse event narratives, the listings of the
non-randomized parts and of serious events, and laboratory shift tables. The closed-session
report (``session="closed"``) is the same plus a frozen data cut's tables by arm (small cells
already withheld when the cut was prepared): the rows stay pooled, so nothing by arm can reach
the report except what the cut shows.

The first line of both outputs says which session and view it is. Every output carries the
protocol version, the code version, the data date and the SHA-256 of what it was computed
from (the rows' digest, the decisions and the cut). Nothing reads the clock: the PDF's
creation date is the data date and its file identifier is derived from its content, so the
same data give the same bytes, and the SHA-256 the chair's decision records identifies them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Literal

from trialkit import __version__
from trialkit.core.adam import TrialRows, derive
from trialkit.core.protocol import Protocol, protocol_version
from trialkit.core.reporting.display import DisplayTable
from trialkit.core.reporting.stamp import Stamp
from trialkit.core.scheduling import CommitteeDecision
from trialkit.reports.html import STYLE, table_html
from trialkit.reports.listings import listings
from trialkit.reports.pdf_document import render_pdf
from trialkit.reports.smc_labs import shift_tables
from trialkit.reports.smc_sections import (
    Block,
    Bullets,
    Heading,
    Paragraph,
    cut_blocks,
    exposure_blocks,
    gate_blocks,
    narratives,
    safety_blocks,
)

Session = Literal["open", "closed"]
SESSIONS: tuple[Session, ...] = ("open", "closed")


class SmcReportError(ValueError):
    """The inputs cannot make the report asked for (the message names what is wrong)."""


@dataclass(frozen=True)
class SmcReport:
    session: Session
    gate_index: int
    stamp: Stamp
    headline: str
    html: bytes
    pdf: bytes

    @property
    def pdf_sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()

    @property
    def html_sha256(self) -> str:
        return hashlib.sha256(self.html).hexdigest()

    def file_stem(self) -> str:
        return f"smc-report-gate{self.gate_index}-{self.session}-{self.stamp.as_of.isoformat()}"


def headline(session: Session, cut: Mapping[str, Any] | None = None) -> str:
    """The report's first line: which session and which view."""
    if session == "open":
        return ("OPEN SESSION — BLINDED (POOLED) VIEW: no result by arm; for every member of "
                "the committee")
    assert cut is not None
    return (f"CLOSED SESSION — VIEW BY ARM from data cut {cut['id']} as of {cut['as_of']} "
            "(small cells withheld): only for roles the protocol lets see tables by arm")


def data_digest(rows: TrialRows, decisions: Sequence[CommitteeDecision],
                cut: Mapping[str, Any] | None) -> str:
    """SHA-256 of everything the report reads: the rows, the signed decisions and the cut."""
    document = {"rows": rows.digest(), "cut": cut, "decisions": [
        [d.committee, d.decision, d.signed_by_role, d.signed_at.isoformat()]
        for d in decisions]}
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def smc_report(protocol: Protocol, rows: TrialRows, gate_index: int = 0, *,
               decisions: Sequence[CommitteeDecision] = (), session: Session = "open",
               cut: Mapping[str, Any] | None = None) -> SmcReport:
    """``decisions``: the committee decisions signed by the end of the data date. ``cut``: a
    data cut as stored (``id``, ``as_of``, ``threshold``, ``arms``, ``rows``,
    ``undated_events``, ``prepared_by``, ``prepared_at``), required for the closed session
    and dated on the rows' date."""
    if not 0 <= gate_index < len(protocol.gates.committee):
        raise SmcReportError(f"gate_index: the protocol has no committee gate {gate_index}")
    if not rows.blinded:
        raise SmcReportError("rows: the committee report reads pooled rows; arms come only from a "
                             "frozen data cut")
    if session not in SESSIONS:
        raise SmcReportError(f"session: one of {', '.join(SESSIONS)}")
    if session == "closed" and cut is None:
        raise SmcReportError("cut: the closed-session report needs a data cut")
    if session == "open":
        cut = None  # the open session never carries a figure by arm
    elif cut is not None and str(cut["as_of"]) != rows.as_of.isoformat():
        raise SmcReportError(f"cut: the data cut is as of {cut['as_of']}, the rows as of "
                             f"{rows.as_of.isoformat()}")
    datasets = derive(protocol, rows)
    stamp = Stamp(protocol.identity.id, protocol_version(protocol), __version__, rows.as_of,
                  data_digest(rows, decisions, cut),
                  "blinded-pooled" if session == "open" else "unblinded-by-arm")
    first = headline(session, cut)
    gate = protocol.gates.committee[gate_index]
    title = f"{gate.committee} safety report: {protocol.identity.brief_title}"
    blocks: list[Block] = [
        Heading(title, 1), Bullets((*stamp.lines(), f"Session: {session}",
                                    f"Committee gate {gate_index}: {gate.committee}")),
        *gate_blocks(protocol, gate_index, rows, decisions),
        *exposure_blocks(protocol, datasets), *safety_blocks(protocol, datasets),
        *narratives(protocol, datasets), Heading("Listings"),
        *listings(protocol, datasets), Heading("Laboratory shifts"),
        *_or_none(shift_tables(protocol, datasets), "No laboratory value by the data date.")]
    if cut is not None:
        blocks.extend(cut_blocks(cut))
    if datasets.notes:
        blocks.extend([Heading("Derivation notes"), Bullets(tuple(datasets.notes))])
    return SmcReport(session, gate_index, stamp, first,
                     render_html(first, title, blocks).encode("utf-8"),
                     render_pdf(first, title, blocks, _creation(rows.as_of)))


def _or_none(tables: Sequence[DisplayTable], none: str) -> list[Block]:
    return list(tables) if tables else [Paragraph(none)]


def _creation(as_of: dt.date) -> dt.datetime:
    """The PDF's creation date: the end of the data date, never the clock."""
    return dt.datetime.combine(as_of, dt.time(23, 59, 59), tzinfo=dt.UTC)


def render_html(first: str, title: str, blocks: Sequence[Block]) -> str:
    body = [f'<p class="view">{escape(first)}</p>']
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            body.append(f"<p>{escape(block.text)}</p>")
        elif isinstance(block, Bullets):
            body.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in block.items)
                        + "</ul>")
        elif isinstance(block, DisplayTable):
            body.append(table_html(block))
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>'
            f"{escape(first)} — {escape(title)}</title><style>{STYLE}</style></head>"
            "<body>\n" + "\n".join(body) + "\n</body></html>\n")


__all__ = ["SESSIONS", "Session", "SmcReport", "SmcReportError", "headline", "smc_report"]
