"""OIDs and values: how protocol ids and saved data become ODM attributes.

Every OID is derived from the protocol's own ids, so the same protocol always gives the same
OIDs and a clinical-data file written later still points at the metadata written earlier. The
prefixes keep the kinds apart (ODM requires every OID of a MetaDataVersion to be unique across
element types, and a form and a visit may share an id).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

COMMON_EVENT = "SE_COMMON"
"""The StudyEventDef of forms saved outside any visit (adverse events, a relapse log). A visit's
OID is ``SE.<id>``, so this one can never collide with a visit."""
SIGNATURE_DEF_PREFIX = "SD."


def study(study_id: str) -> str:
    return f"ST.{study_id}"


def metadata_version(protocol_version: str) -> str:
    """The protocol version (its content hash) names the metadata: a new amendment, a new MDV."""
    return f"MDV.{protocol_version[:16]}"


def event(visit_id: str) -> str:
    return f"SE.{visit_id}" if visit_id else COMMON_EVENT


def form(form_id: str) -> str:
    return f"F.{form_id}"


def item_group(form_id: str) -> str:
    return f"IG.{form_id}"


def item(form_id: str, item_id: str) -> str:
    return f"I.{form_id}.{item_id}"


def codelist(codelist_id: str) -> str:
    return f"CL.{codelist_id}"


def user(username: str) -> str:
    return f"USR.{username}"


def location(site_code: str) -> str:
    return f"LOC.{site_code}"


def units(symbols: list[str]) -> dict[str, str]:
    """Unit symbol → MeasurementUnit OID: the symbol made OID-safe (``mL/min/1.73m2`` →
    ``MU.mL_min_1_73m2``), numbered when two symbols would read the same."""
    oids: dict[str, str] = {}
    for symbol in sorted(set(symbols)):
        base = "MU." + (re.sub(r"[^A-Za-z0-9]+", "_", symbol).strip("_") or "unit")
        oid, n = base, 2
        while oid in oids.values():
            oid, n = f"{base}_{n}", n + 1
        oids[symbol] = oid
    return oids


def value(data: Any) -> str:
    """A saved value as ODM text: ISO dates, ``true``/``false``, numbers without float noise."""
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, dt.datetime | dt.date):
        return data.isoformat()
    if isinstance(data, float) and data.is_integer():
        return repr(data)
    return str(data)


def timestamp(moment: dt.datetime) -> str:
    """An ODM datetime in UTC with its offset (the audit trail's times are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def end_of(day: dt.date) -> str:
    """The rows are read as of the end of their day: the file's AsOfDateTime."""
    return f"{day.isoformat()}T23:59:59+00:00"
