"""Synthetic trial rows for any protocol: as many participants as asked, every scheduled form
filled, adverse events and event-log records scattered over follow-up.

For benchmarks and tests of the whole analysis path at sizes no demo reaches (1,000
participants). Values follow the items' ranges, steps and code lists; a numeric item keeps a
per-participant level with visit-to-visit noise, so changes from baseline are plausible.
Randomness is the ``rng`` argument: the same generator state gives the same rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from trialkit.core.adam.rows import (
    AdministrationRow,
    Allocation,
    FormRow,
    ParticipantRow,
    TrialRows,
)
from trialkit.core.protocol.analysis_datasets import date_item
from trialkit.core.protocol.forms import Form, Item
from trialkit.core.protocol.model import Protocol

TERMS = ("Headache", "Fatigue", "Nausea", "Back pain", "Pyrexia", "Dizziness", "Infection")


def synthetic_rows(protocol: Protocol, n: int, rng: np.random.Generator, *,
                   start: dt.date = dt.date(2024, 1, 1), unblinded: bool = True) -> TrialRows:
    parts = protocol.design.parts
    weights = np.array([p.enrolment_target for p in parts], dtype=float)
    as_of = start + dt.timedelta(days=900)
    people, doses, forms = [], [], []
    starts: dict[int, dict[str, dt.date]] = {}
    allocations: dict[int, Allocation] = {}
    for key in range(1, n + 1):
        part = parts[int(rng.choice(len(parts), p=weights / weights.sum()))]
        enrolled = start + dt.timedelta(days=int(rng.integers(0, 480)))
        day0 = enrolled + dt.timedelta(days=7)
        status = "withdrawn" if rng.random() < 0.08 else "enrolled"
        ended = day0 + dt.timedelta(days=int(rng.integers(30, 300))) \
            if status == "withdrawn" else None
        people.append(ParticipantRow(key, f"S-{key:05d}", "SITE1", status, part.id,
                                     enrolled - dt.timedelta(days=14), enrolled, ended))
        last = min(as_of, ended or as_of)
        levels: dict[str, float] = {}
        for visit in protocol.schedule.visits:
            if visit.day is None:
                continue
            day = day0 + dt.timedelta(days=visit.day)
            if day > last:
                continue
            if visit.period is not None:
                starts.setdefault(key, {}).setdefault(visit.period, day)
            for form_id in visit.forms:
                form = protocol.form(form_id)
                forms.append(FormRow(key, form.id, visit.id, 1,
                                     _values(protocol, form, day, levels, rng)))
        for administration in protocol.design.administrations:
            day = day0 + dt.timedelta(days=protocol.visit(administration.visit).day or 0)
            if day <= last:
                doses.append(AdministrationRow(key, administration.id, day))
        forms += _events(protocol, key, day0, last, rng)
        allocations[key] = _allocate(protocol, part.id, rng)
    return TrialRows(protocol.identity.id, as_of, tuple(people), tuple(doses), tuple(forms),
                     starts, allocations if unblinded else None)


def _allocate(protocol: Protocol, part_id: str, rng: np.random.Generator) -> Allocation:
    part = protocol.part(part_id)
    if part.sequences:
        return Allocation(sequence=part.sequences[int(rng.integers(len(part.sequences)))].id)
    return Allocation(arm=part.arms[int(rng.integers(len(part.arms)))])


def _values(protocol: Protocol, form: Form, day: dt.date, levels: dict[str, float],
            rng: np.random.Generator) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for item in form.items:
        if item.derived is not None:
            continue
        data[item.id] = _value(protocol, form, item, day, levels, rng)
    return data


def _value(protocol: Protocol, form: Form, item: Item, day: dt.date, levels: dict[str, float],
           rng: np.random.Generator) -> Any:
    if item.type in ("date", "datetime"):
        return day.isoformat() if item.type == "date" else f"{day.isoformat()}T10:00:00+00:00"
    if item.type == "boolean":
        return bool(rng.random() < 0.2)
    if item.type == "choice" and item.codelist is not None:
        codes = protocol.codelist(item.codelist).items
        return codes[int(rng.integers(len(codes)))].code
    if item.type in ("integer", "decimal"):
        low = item.range.min if item.range and item.range.min is not None else 0.0
        high = item.range.max if item.range and item.range.max is not None else low + 100
        key = f"{form.id}.{item.id}"
        level = levels.setdefault(key, float(rng.uniform(low, low + (high - low) * 0.6)))
        value = float(np.clip(level + rng.normal(0, (high - low) * 0.05), low, high))
        step = item.range.step if item.range and item.range.step else None
        if step:
            value = low + round((value - low) / step) * step
        return round(value) if item.type == "integer" else round(value, 2)
    return "synthetic"


def _events(protocol: Protocol, key: int, day0: dt.date, last: dt.date,
            rng: np.random.Generator) -> list[FormRow]:
    """Adverse events (about 1.5 per participant) and event-log records (about 0.4 a year)."""
    rows = []
    span = max((last - day0).days, 1)
    for form in protocol.forms:
        if form.kind not in ("adverse_event", "event_log"):
            continue
        count = int(rng.poisson(1.5 if form.kind == "adverse_event" else 0.4 * span / 365))
        dated = date_item(form)
        for repeat in range(1, count + 1):
            onset = day0 + dt.timedelta(days=int(rng.integers(0, span)))
            data = _values(protocol, form, onset, {}, rng)
            for item in form.items:
                if item.cdisc is not None and item.cdisc.variable == "AETERM":
                    data[item.id] = TERMS[int(rng.integers(len(TERMS)))]
                if item.type == "date" and dated is not None and item.id != dated.id:
                    data[item.id] = None  # an end date: still open
            rows.append(FormRow(key, form.id, "", repeat, data))
    return rows
