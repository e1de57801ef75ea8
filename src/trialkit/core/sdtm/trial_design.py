"""The trial-design domains TA, TE, TV and TI, from the protocol alone.

A planned arm in SDTM is a path through elements. A parallel part's arm goes SCREENING →
its treatment → FOLLOW-UP; a crossover part's arms are its sequences (participants are
randomized to a sequence), each going SCREENING → the arm of period 1 → (WASHOUT) → the arm
of period 2 …, with the epochs of ``epochs.py``. Elements are the screening, one treatment
element per protocol arm, the washout and the follow-up. Codes come from the protocol's ids
(ARMCD up to 20 characters, ETCD up to 8), so DM, SE and TA agree by construction.

The design is the protocol's (a registry publishes arms too): TA and TE are the same for a
blinded reader. What a blinded transfer must not hold is which participant is in which arm:
DM and SE see to that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trialkit.core.protocol import Protocol
from trialkit.core.protocol.design import Part
from trialkit.core.sdtm.common import Context, Domain, Kind, Variable
from trialkit.core.sdtm.epochs import (
    EPOCH_CODELIST,
    FOLLOW_UP,
    SCREENING,
    TREATMENT,
    WASHOUT,
    period_epoch,
)

SCREENING_ELEMENT = "SCRN"
WASHOUT_ELEMENT = "WASH"
FOLLOW_UP_ELEMENT = "FU"
IETEST_LENGTH = 200


@dataclass(frozen=True)
class Element:
    code: str
    name: str
    start_rule: str
    end_rule: str
    duration: str = ""
    """ISO 8601 planned duration (TEDUR), when the protocol gives one."""


@dataclass(frozen=True)
class PlannedArm:
    code: str
    name: str
    branch: str
    """TABRANCH of the screening element: how a participant comes onto this arm."""
    path: tuple[tuple[str, str], ...]
    """(ETCD, EPOCH) in order."""
    key: str
    """The arm id (a parallel part's arm) or ``part/sequence`` (a crossover part's)."""


def sdtm_code(text: str, length: int, taken: Iterable[str] = ()) -> str:
    """An SDTM code from an id: upper case letters, digits and underscores, at most ``length``
    characters, made unique against ``taken`` by a numeric suffix."""
    base = re.sub(r"[^A-Z0-9_]", "_", text.upper())[:length] or "X"
    code, n, used = base, 1, set(taken)
    while code in used:
        n += 1
        code = f"{base[:length - len(str(n))]}{n}"
    return code


def element_codes(protocol: Protocol) -> dict[str, str]:
    """Arm id → ETCD of its treatment element."""
    codes: dict[str, str] = {}
    reserved = {SCREENING_ELEMENT, WASHOUT_ELEMENT, FOLLOW_UP_ELEMENT}
    for arm in protocol.design.arms:
        codes[arm.id] = sdtm_code(arm.id, 8, reserved | set(codes.values()))
    return codes


def planned_arms(protocol: Protocol) -> tuple[PlannedArm, ...]:
    """Every planned arm, each once: an arm two parallel parts share is one path, which one
    part may reach by assignment and the other by randomization."""
    hows: dict[str, set[str]] = {}
    found: dict[str, PlannedArm] = {}
    for part in protocol.design.parts:
        for key, name, path in _part_paths(protocol, part):
            found.setdefault(key, PlannedArm("", name, "", path, key))
            hows.setdefault(key, set()).add(
                "randomized" if part.allocation == "RANDOMIZED" else "assigned")
    arms: list[PlannedArm] = []
    for key, arm in found.items():
        code = sdtm_code(key.rsplit("/", 1)[-1], 20, [a.code for a in arms])
        how = " or ".join(sorted(hows[key]))
        branch = f"{how[0].upper()}{how[1:]} to {arm.name}"
        arms.append(PlannedArm(code, arm.name, branch, arm.path, key))
    return tuple(arms)


def planned_arm(protocol: Protocol, part_id: str, arm_or_sequence: str) -> PlannedArm | None:
    """The planned arm of a participant of ``part_id`` allocated to an arm or a sequence."""
    part = protocol.part(part_id)
    key = f"{part.id}/{arm_or_sequence}" if part.is_crossover else arm_or_sequence
    return next((a for a in planned_arms(protocol) if a.key == key), None)


def _part_paths(protocol: Protocol, part: Part
                ) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    codes = element_codes(protocol)
    if not part.is_crossover:
        return [(arm_id, protocol.arm(arm_id).label,
                 ((SCREENING_ELEMENT, SCREENING), (codes[arm_id], TREATMENT),
                  (FOLLOW_UP_ELEMENT, FOLLOW_UP)))
                for arm_id in part.arms]
    paths = []
    for sequence in part.sequences:
        path = [(SCREENING_ELEMENT, SCREENING)]
        for number, arm_id in enumerate(sequence.arms, start=1):
            if number > 1 and part.washout_days > 0:
                path.append((WASHOUT_ELEMENT, WASHOUT))
            path.append((codes[arm_id], period_epoch(number)))
        paths.append((f"{part.id}/{sequence.id}", sequence.label, tuple(path)))
    return paths


def elements(protocol: Protocol) -> tuple[Element, ...]:
    parts = protocol.design.parts
    first = _first_administration(protocol)
    found = [Element(SCREENING_ELEMENT, "Screening", "Informed consent",
                     f"First protocol administration ({first})")]
    crossover_arms = {a for p in parts if p.is_crossover for a in p.arms}
    for arm in protocol.design.arms:
        start = (f"First administration of a period in which the sequence gives {arm.label}"
                 if arm.id in crossover_arms else f"First protocol administration ({first})")
        end = ("First administration of the next period, or the end of participation"
               if arm.id in crossover_arms else "Day after the last protocol administration")
        found.append(Element(element_codes(protocol)[arm.id], arm.label, start, end))
    washouts = sorted({p.washout_days for p in parts if p.is_crossover and p.washout_days})
    for days in washouts[:1]:
        found.append(Element(WASHOUT_ELEMENT, "Washout",
                             f"{days} days before the next period's first administration",
                             "First administration of the next period", f"P{days}D"))
    if any(not p.is_crossover for p in parts):
        follow = protocol.design.follow_up
        found.append(Element(FOLLOW_UP_ELEMENT, "Follow-up",
                             "Day after the last protocol administration",
                             "End of study participation",
                             f"P{follow.months}M" if follow is not None else ""))
    return tuple(found)


def _first_administration(protocol: Protocol) -> str:
    adms = protocol.design.administrations
    if protocol.design.day_zero is not None:
        return protocol.administration(protocol.design.day_zero).name
    return adms[0].name if adms else "none planned"


def _variables(*spec: tuple[str, str, str]) -> tuple[Variable, ...]:
    """(name, label, kind or codelist) triples; a 'C…' third field is a codelist."""
    out = []
    for name, label, extra in spec:
        kind: Kind = "integer" if extra == "integer" else "float" if extra == "float" else "text"
        out.append(Variable(name, label, kind, codelist=extra if extra.startswith("C") else "",
                            origin="Assigned" if name in ("STUDYID", "DOMAIN") else "Protocol"))
    return tuple(out)


_HEAD = (("STUDYID", "Study Identifier", ""), ("DOMAIN", "Domain Abbreviation", ""))


def build_ta(context: Context) -> Sequence[Domain]:
    names = {e.code: e.name for e in elements(context.protocol)}
    rows = []
    for arm in planned_arms(context.protocol):
        for order, (etcd, epoch) in enumerate(arm.path, start=1):
            rows.append({"STUDYID": context.studyid, "DOMAIN": "TA", "ARMCD": arm.code,
                         "ARM": arm.name, "TAETORD": order, "ETCD": etcd,
                         "ELEMENT": names[etcd], "TABRANCH": arm.branch if order == 1 else "",
                         "TATRANS": "", "EPOCH": epoch})
    variables = _variables(*_HEAD, ("ARMCD", "Planned Arm Code", ""),
                           ("ARM", "Description of Planned Arm", ""),
                           ("TAETORD", "Planned Order of Element within Arm", "integer"),
                           ("ETCD", "Element Code", ""), ("ELEMENT", "Description of Element", ""),
                           ("TABRANCH", "Branch", ""), ("TATRANS", "Transition Rule", ""),
                           ("EPOCH", "Epoch", EPOCH_CODELIST))
    return [Domain("TA", "Trial Arms", "Trial Design", variables, tuple(rows),
                   ("STUDYID", "ARMCD", "TAETORD"))]


def build_te(context: Context) -> Sequence[Domain]:
    rows = tuple({"STUDYID": context.studyid, "DOMAIN": "TE", "ETCD": e.code, "ELEMENT": e.name,
                  "TESTRL": e.start_rule, "TEENRL": e.end_rule, "TEDUR": e.duration}
                 for e in elements(context.protocol))
    variables = _variables(*_HEAD, ("ETCD", "Element Code", ""),
                           ("ELEMENT", "Description of Element", ""),
                           ("TESTRL", "Rule for Start of Element", ""),
                           ("TEENRL", "Rule for End of Element", ""),
                           ("TEDUR", "Planned Duration of Element", ""))
    return [Domain("TE", "Trial Elements", "Trial Design", variables, rows, ("STUDYID", "ETCD"))]


def planned_study_day(day: int) -> int:
    """VISITDY from a protocol day (day 0 = the first administration): there is no day 0."""
    return day + 1 if day >= 0 else day


def build_tv(context: Context) -> Sequence[Domain]:
    protocol = context.protocol
    first = _first_administration(protocol)
    rows = []
    for visit in protocol.schedule.visits:
        if visit.unscheduled or visit.day is None:
            continue
        window = visit.window
        rows.append({"STUDYID": context.studyid, "DOMAIN": "TV",
                     "VISITNUM": context.visit_number(visit.id),
                     "VISIT": context.visit_name(visit.id),
                     "VISITDY": planned_study_day(visit.day), "ARMCD": "",
                     "TVSTRL": f"{_days(visit.day)} the {first}, window -{window.before}/"
                               f"+{window.after} days",
                     "TVENRL": ""})
    variables = _variables(*_HEAD, ("VISITNUM", "Visit Number", "float"),
                           ("VISIT", "Visit Name", ""),
                           ("VISITDY", "Planned Study Day of Visit", "integer"),
                           ("ARMCD", "Planned Arm Code", ""),
                           ("TVSTRL", "Visit Start Rule", ""), ("TVENRL", "Visit End Rule", ""))
    return [Domain("TV", "Trial Visits", "Trial Design", variables, tuple(rows),
                   ("STUDYID", "VISITNUM", "ARMCD"))]


def _days(day: int) -> str:
    if day == 0:
        return "Day of"
    unit = "day" if abs(day) == 1 else "days"
    return f"{abs(day)} {unit} {'after' if day > 0 else 'before'}"


def ietest(text: str) -> str:
    """IETEST holds at most 200 characters: a longer criterion is cut at a word, marked '...'."""
    flat = " ".join(text.split())
    if len(flat) <= IETEST_LENGTH:
        return flat
    return flat[:IETEST_LENGTH - 3].rsplit(" ", 1)[0] + "..."


def build_ti(context: Context) -> Sequence[Domain]:
    rows = tuple({"STUDYID": context.studyid, "DOMAIN": "TI", "IETESTCD": c.id,
                  "IETEST": ietest(c.text), "IECAT": c.kind.upper()}
                 for c in context.protocol.eligibility.criteria)
    variables = _variables(*_HEAD, ("IETESTCD", "Incl/Excl Criterion Short Name", ""),
                           ("IETEST", "Inclusion/Exclusion Criterion", ""),
                           ("IECAT", "Inclusion/Exclusion Category", "C66797"))
    return [Domain("TI", "Trial Inclusion/Exclusion Criteria", "Trial Design", variables, rows,
                   ("STUDYID", "IETESTCD"))]


BUILDERS = (build_ta, build_te, build_tv, build_ti)
