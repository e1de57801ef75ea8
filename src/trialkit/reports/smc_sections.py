"""The sections of the committee safety report, as blocks both renderers (HTML, PDF) read.

Nothing here names a trial: the gate rule, the parts, the administrations and their routes,
the adverse-event forms and the laboratory forms all come from the protocol; the safety tables
are the protocol's declared safety analyses run by ``core.reporting.runner`` (pooled in a
blinded view), restricted to each part a gate reviews and to every participant.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import beta as beta_distribution

from trialkit.core.adam import AnalysisDatasets, TrialRows
from trialkit.core.analysis.table import Table
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.gates import CommitteeGate, CountAtLeast
from trialkit.core.reporting.display import DisplayTable, number, tables_of
from trialkit.core.reporting.runner import run
from trialkit.core.scheduling import CommitteeDecision, ParticipantDosing
from trialkit.core.scheduling.checks import Verdict
from trialkit.core.scheduling.enrolment import names_of
from trialkit.core.scheduling.gates import committee_gate

SAFETY_METHODS = ("ae_overview", "ae_by_term", "ae_by_worst")


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


Block = Heading | Paragraph | Bullets | DisplayTable


# -- the gate ---------------------------------------------------------------------------
def reviewed_dosing(protocol: Protocol, rows: TrialRows,
                    part_id: str) -> list[ParticipantDosing]:
    """The reviewed part's enrolled participants, in enrolment order, with their doses."""
    enrolled = sorted((p for p in rows.participants if p.part == part_id
                       and p.enrolled_on is not None),
                      key=lambda p: (p.enrolled_on, p.key))
    given: dict[int, dict[str, dt.date]] = {p.key: {} for p in enrolled}
    for dose in rows.administrations:
        if dose.participant in given:
            given[dose.participant].setdefault(dose.administration, dose.given_on)
    return [ParticipantDosing(p.screening_number, given[p.key]) for p in enrolled]


def gate_rule(protocol: Protocol, gate: CommitteeGate) -> list[str]:
    """The gate as the protocol declares it, in words."""
    names = names_of(protocol)
    reviewed = protocol.part(gate.reviews_part)
    lines = [f"The {gate.committee} reviews {reviewed.name} before {names[gate.opens_part]} "
             "may randomize.",
             f"Every one of the {reviewed.enrolment_target} participants of {reviewed.name} "
             f"must have received {names.get(gate.after_administration, '')} at least "
             f"{gate.days_after_administration} days earlier.",
             f"The decision is e-signed by the role '{gate.signer_role}': one of "
             f"{', '.join(gate.decisions)}; {', '.join(gate.opening_decisions)} open the "
             "gated part" + (f"; {', '.join(gate.pause_decisions)} pause enrolment and dosing"
                             if gate.pause_decisions else "") + "."]
    if gate.can_pause_any_time:
        lines.append(f"The {gate.committee} may pause the trial at any time.")
    if gate.stopping_rule is not None:
        rule, event = gate.stopping_rule, gate.stopping_rule.event
        if isinstance(rule, CountAtLeast):
            lines.append(f"Stopping rule: stop when at least {rule.events} of the first "
                         f"{rule.of_participants} participants have a {event.description}.")
        else:
            lines.append(f"Stopping rule: stop at the first count of participants (up to "
                         f"{rule.of_participants}) at which the posterior probability (prior "
                         f"Beta({rule.prior.a}, {rule.prior.b})) that the rate of "
                         f"{event.description} exceeds {rule.threshold_rate} is above "
                         f"{rule.probability}.")
    return lines


def gate_status(protocol: Protocol, gate: CommitteeGate, rows: TrialRows,
                decisions: Sequence[CommitteeDecision]) -> Verdict:
    """The gate's checks on the as-of date, from the rows and the decisions signed by then."""
    reviewed = reviewed_dosing(protocol, rows, gate.reviews_part)
    return committee_gate(gate, reviewed, protocol.part(gate.reviews_part).enrolment_target,
                          decisions, rows.as_of, names_of(protocol))


def stopping_rule_count(protocol: Protocol, gate: CommitteeGate,
                        rows: TrialRows) -> str | None:
    """How many of the reviewed participants had the rule's event, read from the
    adverse-event forms (seriousness, the relation item's codes, the grade)."""
    rule = gate.stopping_rule
    if rule is None:
        return None
    event = rule.event
    reviewed = [p.key for p in sorted(
        (p for p in rows.participants if p.part == gate.reviews_part and p.enrolled_on),
        key=lambda p: (p.enrolled_on, p.key))][:rule.of_participants]
    forms = {f.id: f for f in protocol.forms if f.kind == "adverse_event"}
    with_event = set()
    for row in rows.forms:
        form = forms.get(row.form)
        if form is None or row.participant not in reviewed:
            continue
        if _counts(form, row.data, event.serious, event.related, event.minimum_grade):
            with_event.add(row.participant)
    found = (f"As of the data date, {len(with_event)} of the {len(reviewed)} participants the "
             f"rule reviews (of {rule.of_participants}) had a {event.description}")
    if isinstance(rule, CountAtLeast):
        reached = len(with_event) >= rule.events
        return found + (f": the rule's threshold of {rule.events} is "
                        f"{'REACHED' if reached else 'not reached'}.")
    # The posterior of the event rate after x events in n participants is
    # Beta(a + x, b + n - x); the rule stops when P(rate > threshold) exceeds its probability.
    posterior = float(beta_distribution.sf(
        rule.threshold_rate, rule.prior.a + len(with_event),
        rule.prior.b + len(reviewed) - len(with_event)))
    return found + (f": posterior probability that the rate exceeds {rule.threshold_rate} is "
                    f"{posterior:.3f}, {'ABOVE' if posterior > rule.probability else 'not above'}"
                    f" the rule's {rule.probability}.")


def _counts(form: Any, data: Mapping[str, Any], serious: bool, related: Sequence[str],
            minimum_grade: int | None) -> bool:
    def value(variable: str) -> Any:
        item = form.item_with("AE", variable)
        return None if item is None else data.get(item.id)

    if serious and value("AESER") is not True:
        return False
    if related and str(value("AEREL")) not in related:
        return False
    grade = value("AETOXGR")
    if minimum_grade is not None:
        return str(grade).isdigit() and int(str(grade)) >= minimum_grade
    return True


def gate_blocks(protocol: Protocol, index: int, rows: TrialRows,
                decisions: Sequence[CommitteeDecision]) -> list[Block]:
    gate = protocol.gates.committee[index]
    verdict = gate_status(protocol, gate, rows, decisions)
    status = "MET: the gated part may open" if verdict.allowed else "NOT MET"
    blocks: list[Block] = [Heading("Gate rule and status"), Bullets(tuple(
        gate_rule(protocol, gate))), Paragraph(f"Status on {rows.as_of.isoformat()}: {status}."),
        DisplayTable(verdict.name, ("Check", "Met", "Detail"), tuple(
            (c.id, "yes" if c.met else "no", c.sentence) for c in verdict.checks))]
    counted = stopping_rule_count(protocol, gate, rows)
    if counted:
        blocks.append(Paragraph(counted))
    mine = [d for d in decisions if d.committee == gate.committee]
    blocks.append(DisplayTable(f"Decisions of the {gate.committee} signed by the data date",
                               ("Signed on", "Decision", "Signed by role"), tuple(
                                   (d.signed_on.isoformat(), d.decision, d.signed_by_role)
                                   for d in mine)))
    return blocks


# -- exposure ---------------------------------------------------------------------------
def exposure_blocks(protocol: Protocol, datasets: AnalysisDatasets) -> list[Block]:
    adsl, adex = datasets.tables["ADSL"], datasets.tables["ADEX"]
    enrolled = adsl.where(adsl.text("ENRLFL") == "Y")
    rows = []
    for part in protocol.design.parts:
        mine = adex.where(adex.text("PART") == part.id)
        n_part = int((enrolled.text("PART") == part.id).sum())
        for administration in protocol.design.administrations:
            given = mine.where(mine.text("ADMINID") == administration.id)
            rows.append((part.name, administration.name, administration.route,
                         str(n_part), str(len(set(given.text("USUBJID").tolist()))),
                         str(given.n_rows), str(int((given.text("EXOVRFL") == "Y").sum()))))
    return [Heading("Exposure"), DisplayTable(
        "Administrations given by part", ("Part", "Administration", "Route", "Enrolled",
                                          "Participants dosed", "Administrations",
                                          "Given against a gate"), tuple(rows)),
        _follow_up(protocol, enrolled, datasets)]


def _follow_up(protocol: Protocol, enrolled: Table, datasets: AnalysisDatasets) -> DisplayTable:
    """Days from the first administration to the end of study or the data date."""
    rows = []
    for part in protocol.design.parts:
        mine = enrolled.where(enrolled.text("PART") == part.id)
        start, end = mine["TRTSDT"], mine["LSTCNDT"]
        days = np.array([(e - s).astype(int) + 1 for s, e in zip(start, end, strict=True)
                         if not np.isnat(s) and not np.isnat(e)], dtype=float)
        if len(days):
            rows.append((part.name, str(len(days)), number(float(np.median(days)), 0),
                         number(float(days.min()), 0), number(float(days.max()), 0),
                         number(float(days.sum()) / 365.25, 2)))
        else:
            rows.append((part.name, "0", "", "", "", "0.00"))
    return DisplayTable("Follow-up since the first administration (days)",
                        ("Part", "Dosed", "Median", "Min", "Max", "Participant-years"),
                        tuple(rows))


# -- adverse events ----------------------------------------------------------------------
def restricted(datasets: AnalysisDatasets, part_id: str) -> AnalysisDatasets:
    """The datasets of one part's participants (every dataset carries PART)."""
    return dataclasses.replace(datasets, tables={
        name: table.where(table.text("PART") == part_id) if "PART" in table else table
        for name, table in datasets.tables.items()})


def safety_blocks(protocol: Protocol, datasets: AnalysisDatasets) -> list[Block]:
    """The protocol's declared safety analyses for each reviewed part, then for everyone."""
    analyses = [a for e in protocol.endpoints for a in e.analyses if a.method in SAFETY_METHODS]
    blocks: list[Block] = [Heading("Adverse events")]
    if not analyses:
        return [*blocks, Paragraph("The protocol declares no safety analysis.")]
    reviewed = sorted({g.reviews_part for g in protocol.gates.committee})
    scopes = [(protocol.part(p).name, restricted(datasets, p)) for p in reviewed]
    if len(protocol.design.parts) > 1 or not reviewed:
        scopes.append(("All participants", datasets))
    for label, scoped in scopes:
        blocks.append(Heading(label, 3))
        for analysis in analyses:
            outcome = run(protocol, analysis, scoped).as_data()
            for table in tables_of(outcome):
                blocks.append(dataclasses.replace(
                    table, title=f"{outcome['title']}: {table.title}",
                    notes=(*table.notes, *outcome["notes"])))
            if outcome["result"] is None:
                blocks.append(Paragraph(f"{outcome['title']}: {'; '.join(outcome['notes'])}"))
    return blocks


def narratives(protocol: Protocol, datasets: AnalysisDatasets) -> list[Block]:
    """One paragraph per serious adverse event, from the ADAE record and its participant."""
    adae = datasets.tables["ADAE"]
    blocks: list[Block] = [Heading("Serious adverse event narratives")]
    if "AESER" not in adae:
        return [*blocks, Paragraph("The adverse-event forms record no seriousness.")]
    serious = adae.where(adae.text("AESER") == "Y")
    if not serious.n_rows:
        return [*blocks, Paragraph("No serious adverse event by the data date.")]
    parts = {p.id: p.name for p in protocol.design.parts}
    labels = _labels(protocol)
    for i in range(serious.n_rows):
        blocks.append(Paragraph(_narrative(serious, i, parts, labels)))
    return blocks


def _labels(protocol: Protocol) -> dict[str, str]:
    """CDISC AE variable → the protocol's label of the item recording it."""
    found: dict[str, str] = {}
    for form in protocol.forms:
        if form.kind == "adverse_event":
            for item in form.items:
                if item.cdisc is not None and item.cdisc.variable:
                    found.setdefault(item.cdisc.variable, item.label)
    return found


def _narrative(events: Table, i: int, parts: Mapping[str, str],
               labels: Mapping[str, str]) -> str:
    def text(column: str) -> str:
        if column not in events:
            return ""
        value = events[column][i]
        if isinstance(value, np.datetime64):
            return "" if np.isnat(value) else str(value)
        if isinstance(value, float | np.floating):
            return "" if np.isnan(value) else number(float(value), 0)
        return str(value)

    who = f"Participant {text('USUBJID')} ({parts.get(text('PART'), text('PART'))}"
    who += f", {text('AGE')} years" if text("AGE") else ""
    who += f", {text('SEX')}" if text("SEX") else ""
    sentences = [f"{who}) had {text('AETERM') or 'an event not named'}, starting "
                 f"{text('ASTDT') or 'on an unknown date'}"
                 + (f" (study day {text('ASTDY')})" if text("ASTDY") else "")
                 + (f" and ending {text('AENDT')}" if text("AENDT") else "") + "."]
    grade = text("ATOXGR") or text("ASEV")
    if grade:
        sentences.append(f"Grade or severity: {grade}.")
    criteria = [labels[c].split(":", 1)[-1].strip() for c in (
        "AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE")
        if text(c) == "Y" and c in labels]
    if criteria:
        sentences.append(f"Serious because: {', '.join(criteria)}.")
    relations = [f"{labels[c]}: {text(c)}" for c in sorted(labels)
                 if c.startswith("AEREL") and text(c)]
    if relations:
        sentences.append("; ".join(relations) + ".")
    for column in ("AEACN", "AEOUT"):
        if text(column):
            sentences.append(f"{labels.get(column, column)}: {text(column)}.")
    if text("TRTEMFL") == "N":
        sentences.append("Began before the first administration.")
    return " ".join(sentences)


# -- the closed session ------------------------------------------------------------------
def cut_blocks(cut: Mapping[str, Any]) -> list[Block]:
    """The frozen data cut's tables by arm, as stored (small cells already withheld)."""
    arms = tuple(cut["arms"])
    rows = tuple((row["label"], str(row["pooled"]), *(
        ("withheld",) * len(arms) if row["counts"] is None
        else ("withheld" if c is None else str(c) for c in row["counts"])))
        for row in cut["rows"])
    notes = [f"Data cut {cut['id']} as of {cut['as_of']}, prepared by {cut['prepared_by']} "
             f"on {cut['prepared_at']}; cells are shown only where every published count is "
             f"0 or at least {cut['threshold']} (a withheld row shows its pooled count only)."]
    if cut["undated_events"]:
        notes.append(f"{cut['undated_events']} adverse events without an onset date are not "
                     "placed in an arm.")
    return [Heading("Closed session: tables by arm at the data cut"), DisplayTable(
        "Participants of the randomized part by arm", ("", "Pooled", *arms), rows,
        tuple(notes))]
