"""Shared by the standards export tests: a test-only export of several files, so the folder
handling of `trialkit export`, the API and the page is tested whatever the registry holds; the
study locked, so that every protocol has an exporter given arms (its statistician, blinded
until the lock)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import transaction

from trialkit.interop.exports import Export
from trialkit.web.trial import clock
from trialkit.web.trial.models import Study


def _write_folder(protocol, rows, out: Path) -> list[Path]:
    (out / "tables").mkdir(parents=True)
    people = [] if rows is None else sorted(p.key for p in rows.trial.participants)
    (out / "study.json").write_text(json.dumps({"study": protocol.identity.id}))
    (out / "tables" / "participants.json").write_text(json.dumps(people))
    return [out / "study.json", out / "tables" / "participants.json"]


def validate_folder(out: Path) -> list[str]:
    wanted = ["study.json", "tables/participants.json"]
    found = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    return [] if found == wanted else [f"files {found}, expected {wanted}"]


FOLDER = Export(name="test-folder", title="A folder of two files (tests only)",
                description="Two JSON files in a folder.", layout="folder", suffix=".zip",
                media_type="application/zip", needs_data=True, write=_write_folder,
                validate=validate_folder)


@pytest.fixture
def locked():
    """The study locked for the test (undone after it), so a role blinded until the lock
    reads arms."""
    with transaction.atomic():
        Study.objects.filter(is_current=True).update(locked_at=clock.now())
        yield
        transaction.set_rollback(True)


def given_arms(role) -> bool:
    """A role the access layer gives arms once the study is locked."""
    return "allocation" in role.sees or role.blinded_until_lock


def representatives() -> list[str]:
    """One registered export of each kind the delivery code treats differently (written from
    the protocol alone or from data; one file or a folder; naming the arms or not). The API, the
    page and the audit are the same code for every format, so their tests download these; the
    command-line test writes and validates every format on every protocol."""
    from trialkit.interop.exports import EXPORTS

    kinds: dict[tuple[bool, str, bool], str] = {}
    for name, export in EXPORTS.items():
        kinds.setdefault((export.needs_data, export.layout, export.describes_arms), name)
    return sorted(kinds.values())
