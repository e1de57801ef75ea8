"""Exchange rows built by hand for the ODM exports, from any protocol: two participants at the
protocol's first site; the first has every form of the first two visits saved, its first form
corrected once (one value changed, one cleared, with a reason) and signed twice, and a form
saved outside any visit twice; the second has one form. Allocations only when asked for;
without them, only the forms the blinded role that reads the most forms may read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from trialkit.core.adam.rows import Allocation, FormRow, ParticipantRow, TrialRows
from trialkit.core.exchange import ExchangeRows, SignatureRow, SiteRow, VersionRow
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form, Item
from trialkit.core.protocol.reading import reads
from trialkit.core.protocol.roles import Role

AS_OF = dt.date(2026, 6, 1)
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
REASON = "Corrected after source data verification"


def value_for(protocol: Protocol, item: Item, changed: bool = False) -> Any:
    """A value of the item's type (a different one when ``changed``)."""
    low = item.range.min if item.range and item.range.min is not None else 1.0
    if item.type == "choice":
        codes = protocol.codelist(item.codelist or "").items
        code = codes[1 if changed and len(codes) > 1 else 0].code
        return int(code) if protocol.codelist(item.codelist or "").data_type == "integer" \
            else code
    return {"integer": int(low) + int(changed), "decimal": low + (0.5 if changed else 0.0),
            "text": f"{item.label} {'(corrected)' if changed else ''}".strip(),
            "date": "2026-03-03" if changed else "2026-03-02",
            "datetime": "2026-03-02T10:30:00+00:00" if changed else "2026-03-02T09:30:00+00:00",
            "boolean": not changed}[item.type]


def filled(protocol: Protocol, form: Form) -> dict[str, Any]:
    return {i.id: value_for(protocol, i) for i in form.items}


def corrected(protocol: Protocol, form: Form, data: dict[str, Any]) -> dict[str, Any]:
    """The first item changed, the last one cleared (a Remove in the transactional file)."""
    first, last = form.items[0], form.items[-1]
    return {**data, first.id: value_for(protocol, first, changed=True), last.id: None}


def unscheduled_form(protocol: Protocol) -> Form:
    scheduled = {f for v in protocol.schedule.visits for f in v.forms}
    return next(f for f in protocol.forms if f.id not in scheduled or f.repeating)


def versions_for(protocol: Protocol) -> list[VersionRow]:
    visits = [v for v in protocol.schedule.visits if not v.unscheduled][:2]
    versions: list[VersionRow] = []
    clock = iter(START + dt.timedelta(hours=n) for n in range(10_000))
    for visit in visits:
        for form_id in visit.forms:
            form = protocol.form(form_id)
            versions.append(VersionRow(1, form.id, visit.id, 1, 1, filled(protocol, form),
                                       "coordinator-1", "coordinator", next(clock)))
    first = versions[0]
    versions.append(VersionRow(
        1, first.form, first.visit, 1, 2,
        corrected(protocol, protocol.form(first.form), dict(first.data)),
        "investigator-1", "investigator", next(clock), REASON))
    log = unscheduled_form(protocol)
    for repeat in (1, 2):
        versions.append(VersionRow(1, log.id, "", repeat, 1, filled(protocol, log),
                                   "coordinator-1", "coordinator", next(clock)))
    versions.append(VersionRow(2, first.form, first.visit, 1, 1,
                               filled(protocol, protocol.form(first.form)),
                               "coordinator-2", "coordinator", next(clock)))
    return versions


def blinded_reader(protocol: Protocol) -> Role:
    """The blinded role that reads the most forms (a data manager, typically)."""
    blinded = [r for r in protocol.roles if not r.sees and not r.blinded_until_lock]
    return max(blinded, key=lambda r: sum(reads(r, f) for f in protocol.forms))


def exchange_rows(protocol: Protocol, *, unblinded: bool = False) -> ExchangeRows:
    site = protocol.identity.sites[0]
    people = (ParticipantRow(1, "S01-001", site.id, "enrolled", consent_date=START.date()),
              ParticipantRow(2, "S01-002", site.id, "consented", consent_date=START.date()))
    reader = blinded_reader(protocol)
    versions = [v for v in versions_for(protocol)  # as exchange_rows reads for that reader
                if unblinded or reads(reader, protocol.form(v.form))]
    latest: dict[tuple[int, str, str, int], VersionRow] = {}
    for version in versions:
        latest[(version.participant, version.form, version.visit, version.repeat)] = version
    corrected_version = next(v for v in versions if v.number == 2)  # never a revealing form
    signed = corrected_version.saved_at + dt.timedelta(minutes=30)
    signatures = tuple(
        SignatureRow(1, corrected_version.form, corrected_version.visit, 1, 2, signer, name,
                     role, meaning, signed + dt.timedelta(minutes=n))
        for n, (signer, name, role, meaning) in enumerate((
            ("investigator-1", "Dr Ada Example", "investigator", "Reviewed and approved"),
            ("monitor-1", "Mo Nitor", "monitor", "Source data verified"))))
    arms = [a.id for a in protocol.design.arms]
    trial = TrialRows(
        study_id=protocol.identity.id, as_of=AS_OF, participants=people,
        forms=tuple(FormRow(v.participant, v.form, v.visit, v.repeat, v.data)
                    for v in latest.values()),
        allocations={1: Allocation(arm=arms[0]), 2: Allocation(arm=arms[-1])}
        if unblinded else None)
    return ExchangeRows(trial=trial, sites=(SiteRow(site.id, site.name, site.country),),
                        versions=tuple(versions), signatures=signatures,
                        protocol_version="test")
