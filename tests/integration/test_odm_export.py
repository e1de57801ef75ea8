"""The ODM 1.3.2 exports on every protocol's demo trial, from the database through
``exchange_rows``: valid against the official schema (and odmlib's copy of it), holding every
saved version, changed item, audit record and signature the rows hold, for a blinded reader
and for one who sees arms; never an arm, and for the blinded reader none of the values the
blinding crawl looks for."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User

from tests.integration.pages.support import module_demo  # noqa: F401  (a fixture)
from tests.unit.interop.odm.support import concealed_in, every, odmlib_problems, tree
from trialkit.core.exchange import ExchangeRows
from trialkit.interop.exports import EXPORTS
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.exchange_source import exchange_rows

pytestmark = pytest.mark.protocols()


def _unblinded_rows(trial, demo) -> ExchangeRows:
    """The rows of the role that sees arms and reads the most form data (a statistician who
    sees arms may read no form at all)."""
    seeing = {r.id for r in trial.protocol.roles if "allocation" in r.sees}
    candidates = [exchange_rows(clock.today(), actor_for(
        User.objects.get(username=s.username), s.role)) for s in demo.sign_ins
        if s.role in seeing]
    return max(candidates, key=lambda rows: (len(rows.versions), len(rows.signatures)))


def _export(trial, rows: ExchangeRows, name: str, path: Path) -> Path:
    EXPORTS[name].write(trial.protocol, rows, path)
    assert EXPORTS[name].validate(path) == []
    assert odmlib_problems(path) == []
    return path


def _changes(rows: ExchangeRows) -> int:
    """Item values that a version set, changed or cleared, counted from the rows alone."""
    before: dict[tuple, dict] = {}
    count = 0
    for version in rows.versions:
        key = (version.participant, version.form, version.visit, version.repeat)
        old = before.get(key, {})
        count += sum(old.get(k) != v for k, v in version.data.items())
        count += sum(k not in version.data and v is not None for k, v in old.items())
        before[key] = dict(version.data)
    return count


@pytest.mark.parametrize("reader", ["blinded", "unblinded"])
def test_the_demo_trials_odm_files_are_valid_and_hold_every_version_and_signature(
        trial, module_demo, tmp_path, reader):  # noqa: F811
    rows = exchange_rows(clock.today()) if reader == "blinded" else \
        _unblinded_rows(trial, module_demo)
    assert rows.blinded == (reader == "blinded")
    assert rows.versions and rows.signatures
    snapshot = tree(_export(trial, rows, "odm-snapshot", tmp_path / "snapshot.xml"))
    assert len(every(snapshot, ".//odm:ClinicalData//odm:FormData")) == len(rows.trial.forms)
    assert len(every(snapshot, ".//odm:ClinicalData/odm:SubjectData")) == \
        len(rows.trial.participants)
    audit = tree(_export(trial, rows, "odm-transactional", tmp_path / "audit.xml"))
    forms = every(audit, ".//odm:ClinicalData//odm:FormData")
    saved = [f for f in forms if f.get("TransactionType") in ("Insert", "Update")]
    assert len(saved) == len(rows.versions)
    assert all(f.find("{*}AuditRecord/{*}LocationRef") is not None for f in saved)
    assert sum(bool(f.findtext("{*}AuditRecord/{*}ReasonForChange")) for f in saved) == \
        sum(bool(v.reason) for v in rows.versions)
    assert len(every(audit, ".//odm:ItemData/odm:AuditRecord")) == _changes(rows)
    assert len(every(audit, ".//odm:FormData/odm:Signature")) == len(rows.signatures)
    design = trial.protocol.design
    arms = {v for a in design.arms for v in (a.id, a.label)}
    for root in (snapshot, audit):
        assert not {v for e in root.iter() for v in (*e.attrib.values(), (e.text or "").strip())
                    } & arms
    if rows.blinded:
        for root in (snapshot, audit):
            assert concealed_in(root, trial.protocol) == set()
