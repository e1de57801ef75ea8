"""The HTML report: the view on its first line, the stamp, the CONSORT flow, the baseline
table, every endpoint's analyses with their tables and notes, the figures and the listings.

Figures are separate SVG files the page links to, so the page itself is the same bytes for
the same data whatever matplotlib does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from trialkit.core.reporting.consort import Flow
from trialkit.core.reporting.display import DisplayTable, tables_of
from trialkit.core.reporting.stamp import Stamp

STYLE = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:1rem auto;padding:0 1rem;
line-height:1.4;color:#222}
.view{font-weight:bold;padding:.5rem;border:2px solid #333;background:#f4f4f4}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem}
th,td{border:1px solid #bbb;padding:.15rem .4rem;text-align:left;vertical-align:top}
th{background:#eee} .notes{font-size:.8rem;color:#555} .meta{font-size:.8rem;color:#444}
img{max-width:100%} code{font-size:.85em}
"""


def table_html(table: DisplayTable) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                   for row in table.rows) or f'<tr><td colspan="{len(table.header)}">' \
                                             "no records</td></tr>"
    notes = "".join(f"<li>{escape(n)}</li>" for n in table.notes)
    return (f"<table><caption>{escape(table.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>" + (f'<ul class="notes">{notes}</ul>'
                                                if notes else ""))


def _analysis(outcome: Mapping[str, Any], figures: Mapping[str, str],
              names: Mapping[str, str]) -> str:
    meta = (f"method <code>{escape(outcome['method'])}</code>"
            + (f" (ran <code>{escape(outcome['ran'])}</code>)"
               if outcome["ran"] != outcome["method"] else "")
            + f"; dataset {escape(outcome['dataset'])}"
            + (f", parameter {escape(outcome['parameter'])}" if outcome["parameter"] else "")
            + (f", variable {escape(outcome['variable'])}" if outcome["variable"] else "")
            + f"; analysis set {escape(outcome['analysis_set'])}; grouping "
              f"{escape(outcome['grouping'])}; {outcome['n']} records")
    parts = [f'<h3 id="{escape(outcome["id"])}">{escape(outcome["title"])}</h3>',
             f'<p class="meta">{meta}</p>', *(table_html(t) for t in tables_of(outcome, names))]
    if outcome["notes"]:
        parts.append('<ul class="notes">' + "".join(
            f"<li>{escape(n)}</li>" for n in outcome["notes"]) + "</ul>")
    if outcome["id"] in figures:
        source, alt = escape(figures[outcome["id"]]), escape(outcome["title"])
        parts.append(f'<img src="{source}" alt="{alt}">')
    return "\n".join(parts)


def _consort(flow: Flow) -> str:
    rows = [(flow.assessed.label, str(flow.assessed.n)),
            (flow.excluded.label, str(flow.excluded.n)),
            *((f"  {k}", str(v)) for k, v in flow.excluded.detail)]
    for part, groups in flow.parts:
        rows.append((part.label, str(part.n)))
        for group in groups:
            rows.append((f"  {group.label}", str(group.n)))
            rows.extend((f"    {k}", str(v)) for k, v in group.detail)
    rows.extend((f"Analysed: {box.label}", str(box.n)) for box in flow.analysed)
    return table_html(DisplayTable("Participant flow", ("", "n"), tuple(rows)))


def _list(items: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>"


def report_html(*, title: str, stamp: Stamp, endpoints: Sequence[Mapping[str, Any]],
                flow: Flow, baseline: Sequence[DisplayTable],
                listings: Sequence[DisplayTable], figures: Mapping[str, str],
                datasets: Mapping[str, int], notes: Sequence[str],
                names: Mapping[str, str] | None = None) -> str:
    """``names``: codes the results carry (visit ids) → the protocol's words for them."""
    body = [f'<p class="view">{escape(stamp.headline)}</p>',
            f"<h1>{escape(title)}</h1>", _list(stamp.lines()),
            "<h2>Contents</h2>" + _list(f"{e['name']}" for e in endpoints),
            "<h2>Participant flow (CONSORT)</h2>", _consort(flow)]
    if "consort" in figures:
        body.append(f'<img src="{escape(figures["consort"])}" alt="CONSORT flow">')
    body.append("<h2>Demographics and baseline</h2>")
    body.extend(table_html(t) for t in baseline)
    for endpoint in endpoints:
        body.append(f"<h2>{escape(endpoint['kind'].title())} endpoint: "
                    f"{escape(endpoint['name'])}</h2>")
        body.append(f"<p>{escape(endpoint['description'])} <em>Time frame: "
                    f"{escape(endpoint['time_frame'])}.</em></p>")
        if not endpoint["declared"]:
            body.append("<p>No analysis declared as data for this endpoint.</p>")
        body.extend(_analysis(o, figures, names or {}) for o in endpoint["analyses"])
    body.append("<h2>Figures</h2>")
    for key in ("forest", "swimmer"):
        if key in figures:
            body.append(f'<img src="{escape(figures[key])}" alt="{key} plot">')
    body.extend(f'<img src="{escape(path)}" alt="{escape(key)}">'
                for key, path in sorted(figures.items()) if key.startswith("trajectory:"))
    body.append("<h2>Listings</h2>")
    body.extend(table_html(t) for t in listings)
    body.append("<h2>Analysis datasets</h2>")
    body.append(_list(f"{name}: {rows} records" for name, rows in datasets.items()))
    if notes:
        body.append("<h2>Derivation notes</h2>" + _list(notes))
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>'
            f"{escape(stamp.headline)} — {escape(title)}</title><style>{STYLE}</style></head>"
            "<body>\n" + "\n".join(body) + "\n</body></html>\n")
