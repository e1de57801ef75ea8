"""A readable summary of a protocol for the terminal (``trialkit protocol show``)."""

from __future__ import annotations

import json
import os

from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from trialkit.core.protocol import Protocol, protocol_version
from trialkit.core.protocol.consistency import resolve


def print_summary(p: Protocol, console: Console | None = None) -> None:
    # Wide by default: the tables fold long registry text; COLUMNS overrides, as in any shell.
    console = console or Console(width=int(os.environ.get("COLUMNS", "110")))
    ident, design = p.identity, p.design
    console.print(f"[bold]{escape(ident.id)}[/bold] — {escape(ident.brief_title)}")
    console.print(f"Sponsor: {ident.sponsor.name} · org study id {ident.org_study_id} · "
                  f"status {p.status.overall} · start {p.status.start.date} · completion "
                  f"{p.status.completion.date} ({p.status.completion.type.lower()})", markup=False)
    console.print(f"Protocol version (SHA-256): {protocol_version(p)}", markup=False)
    console.print(f"Design: {design.study_type.lower()}, {' / '.join(design.phases)}, "
                  f"{design.allocation.lower()}, {design.intervention_model.lower()}, masking "
                  f"{design.masking.level} ({', '.join(design.masking.who_masked) or 'none'}); "
                  f"enrolment {design.enrolment.count}", markup=False)
    console.print(_parts_table(p))
    console.print(_gates_text(p))
    console.print(_schedule_table(p))
    console.print(_forms_table(p))
    console.print(_roles_table(p))
    console.print(_criteria_table(p))
    console.print(_interpretations_table(p))


def _parts_table(p: Protocol) -> Table:
    table = Table(title="Parts and arms", title_justify="left")
    for column in ("part", "phase", "target", "allocation", "masking", "order", "arms"):
        table.add_column(column)
    for part in p.design.parts:
        arms = ", ".join(f"{p.arm(a).label} ({p.arm(a).type.lower()})" for a in part.arms)
        if part.is_crossover:
            periods = ", ".join(period.name for period in part.periods)
            sequences = "; ".join(f"{s.label}: {' → '.join(p.arm(a).label for a in s.arms)}"
                                  for s in part.sequences)
            arms += (f"; crossover over {periods} (washout {part.washout_days} days); "
                     f"sequences {sequences}")
        _row(table, part.name, part.phase, str(part.enrolment_target), part.allocation,
             part.masking.level, part.enrolment_order, arms)
    return table


def _gates_text(p: Protocol) -> str:
    lines = ["[bold]Gates[/bold]"]
    for seq in p.gates.sequential_enrolment:
        lines.append(
            f"  Sequential enrolment in {seq.part}: '{seq.gated_administration}' waits until the "
            f"previous participant has received {', '.join(seq.previous_must_have_received)} "
            f"and {seq.wait_days} days have passed"
            + (" with no open serious adverse event" if seq.no_open_serious_adverse_event else ""))
    for gate in p.gates.committee:
        lines.append(
            f"  {gate.committee}: {gate.opens_part} opens when every {gate.reviews_part} "
            f"participant is {gate.days_after_administration} days past "
            f"'{gate.after_administration}' and the {gate.signer_role} has e-signed one of "
            f"{', '.join(gate.opening_decisions)}; pauses: {', '.join(gate.pause_decisions)}")
    if p.randomization is not None:
        r = p.randomization
        ratio = ":".join(str(v) for v in r.ratio.values())
        strata = ", ".join(s.id for s in r.strata) or "none"
        blocks = (f" blocks {list(r.permuted_blocks.block_sizes)}"
                  if r.permuted_blocks and r.method == "permuted_blocks" else "")
        lines.append(f"  Randomization of {r.part}: {ratio} ({', '.join(r.ratio)}), "
                     f"{r.method}{blocks}, strata: {strata}")
    return "\n".join(lines[:1] + [escape(line) for line in lines[1:]])


def _schedule_table(p: Protocol) -> Table:
    table = Table(title="Schedule of activities (day 0 = "
                        f"{p.design.day_zero or 'first visit'})", title_justify="left")
    for column in ("visit", "day", "window", "forms"):
        table.add_column(column)
    for visit in p.schedule.visits:
        day = "any" if visit.day is None else str(visit.day)
        window = ("" if visit.day is None else
                  f"{visit.day - visit.window.before} to {visit.day + visit.window.after}")
        _row(table, f"{visit.id} {visit.name}", day, window, ", ".join(visit.forms))
    return table


def _forms_table(p: Protocol) -> Table:
    table = Table(title="Forms", title_justify="left")
    for column in ("form", "kind", "entered by", "edit checks", "feeds the record"):
        table.add_column(column, overflow="fold")
    for form in p.forms:
        fed = sorted({i.maps_to.to for i in form.items if i.maps_to is not None})
        _row(table, f"{form.id} {form.name}", form.kind.replace("_", " "),
             ", ".join(form.entered_by), ", ".join(c.id for c in form.checks),
             ", ".join(fed))
    return table


def _roles_table(p: Protocol) -> Table:
    table = Table(title="Roles", title_justify="left")
    for column in ("role", "may", "sees", "is told of", "workspace"):
        table.add_column(column, overflow="fold")
    for role in p.roles:
        _row(table, f"{role.id} {role.name}", ", ".join(role.can) or "—",
             ", ".join(role.sees) or "blinded", ", ".join(role.notified_of),
             role.workspace or "")
    return table


def _criteria_table(p: Protocol) -> Table:
    table = Table(title="Eligibility criteria", title_justify="left", show_lines=True)
    for column in ("id", "registry text", "rule"):
        table.add_column(column, overflow="fold")
    for c in p.eligibility.criteria:
        _row(table, c.id, " ".join(c.text.split()), (c.rule or "(needs a rule)").strip())
    return table


def _interpretations_table(p: Protocol) -> Table:
    table = Table(title="Readings and assumptions", title_justify="left", show_lines=True)
    for column in ("id", "kind", "statement", "current setting"):
        table.add_column(column, overflow="fold")
    for interp in p.interpretations:
        settings = "; ".join(f"{path} = {_short(resolve(p, path))}" for path in interp.governs)
        _row(table, interp.id, interp.kind, " ".join(interp.statement.split()), settings)
    return table


def _row(table: Table, *cells: str) -> None:
    """Add a row of plain text: protocol text such as ``parts[phase2a]`` is not rich markup."""
    table.add_row(*(escape(cell) for cell in cells))


def _short(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(_plain(value), ensure_ascii=False,
                                                                 default=str)
    text = " ".join(text.split())
    return text if len(text) <= 70 else text[:67] + "…"


def _plain(value: object) -> object:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
