"""AdminData: the people, sites and kinds of signature the clinical data refers to.

Users are the accounts that saved or signed a version (their login name; a signer's printed
name as FullName). Locations are the trial's sites; ODM requires each to say from which day it
used the metadata version, taken as the first day it saved data (else the rows' day). A
SignatureDef is one meaning of signature (trialkit signers state the meaning when they sign).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from trialkit.core.exchange import ExchangeRows
from trialkit.interop.odm import oids
from trialkit.interop.odm.writer import sub

LEGAL_REASON = ("Signed in trialkit by re-entering the signer's password: a non-biometric "
                "electronic signature (21 CFR 11.200(a)), bound to one saved version of the form.")


def signature_defs(rows: ExchangeRows) -> dict[str, str]:
    """Signature meaning → SignatureDef OID, numbered in the meanings' sorted order."""
    meanings = sorted({s.meaning for s in rows.signatures})
    return {meaning: f"{oids.SIGNATURE_DEF_PREFIX}{n}" for n, meaning in enumerate(meanings, 1)}


def add_admin(parent: ET.Element, rows: ExchangeRows, study_oid: str, mdv_oid: str) -> None:
    admin = sub(parent, "AdminData", {"StudyOID": study_oid})
    for username, full_name in _users(rows).items():
        user = sub(admin, "User", {"OID": oids.user(username)})
        sub(user, "LoginName", text=username)
        if full_name:
            sub(user, "FullName", text=full_name)
    first_saved = _first_saved_per_site(rows)
    names = {site.code: site.name for site in rows.sites}
    for code in sorted(names.keys() | {p.site for p in rows.trial.participants}):
        location = sub(admin, "Location", {"OID": oids.location(code),
                                           "Name": names.get(code, code), "LocationType": "Site"})
        sub(location, "MetaDataVersionRef", {
            "StudyOID": study_oid, "MetaDataVersionOID": mdv_oid,
            "EffectiveDate": first_saved.get(code, rows.as_of.isoformat())})
    for meaning, oid in signature_defs(rows).items():
        definition = sub(admin, "SignatureDef", {"OID": oid, "Methodology": "Electronic"})
        sub(definition, "Meaning", text=meaning)
        sub(definition, "LegalReason", text=LEGAL_REASON)


def _users(rows: ExchangeRows) -> dict[str, str]:
    users: dict[str, str] = {v.saved_by: "" for v in rows.versions}
    for signature in rows.signatures:
        users[signature.signer] = signature.printed_name or users.get(signature.signer, "")
    return dict(sorted(users.items()))


def _first_saved_per_site(rows: ExchangeRows) -> dict[str, str]:
    site_of = {p.key: p.site for p in rows.trial.participants}
    first: dict[str, str] = {}
    for version in rows.versions:
        site, day = site_of.get(version.participant), version.saved_at.date().isoformat()
        if site is not None and (site not in first or day < first[site]):
            first[site] = day
    return first
