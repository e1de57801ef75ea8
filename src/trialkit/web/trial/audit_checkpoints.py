"""Signed checkpoints of the audit chain's head, kept outside the database.

A checkpoint is one JSON line — the head's sequence and link, when it was taken, the key id —
signed with HMAC-SHA256 under the audit key. The chain alone cannot show that events at its
end were deleted and the head wound back, nor that someone holding the key recomputed it; a
checkpoint taken earlier and kept elsewhere can: every checkpoint must still be on the chain.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from trialkit.web.trial.audit import ChainProblem, audit_keys, current_key
from trialkit.web.trial.audit_chain import GENESIS, same, signature
from trialkit.web.trial.audit_keys import AuditKey
from trialkit.web.trial.models import AuditEvent, AuditHead

FORMAT = "trialkit-audit-checkpoint/1"
FIELDS = ("format", "sequence", "hash", "taken_at", "key_id")


@dataclass(frozen=True)
class Checkpoint:
    line: int
    sequence: int
    hash: str
    taken_at: str
    key_id: str


def head() -> tuple[int, str]:
    row = AuditHead.objects.filter(id=1).first()
    return (row.sequence, row.hash) if row is not None else (0, GENESIS)


def write_checkpoint(path: Path, sequence: int, link: str) -> dict[str, Any]:
    """Append a signed checkpoint of (sequence, link) to ``path``; the caller has checked
    that the chain verifies up to it."""
    key = current_key()
    fields = {"format": FORMAT, "sequence": sequence, "hash": link,
              "taken_at": timezone.now().isoformat(), "key_id": key.key_id}
    record = {**fields, "signature": signature(key.secret, fields)}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno())  # a checkpoint that can vanish in a crash vouches for nothing
    return record


def check_checkpoints(path: Path, keys: Sequence[AuditKey] | None = None
                      ) -> tuple[list[Checkpoint], list[ChainProblem]]:
    """The file's checkpoints, and every one that is forged or no longer on the chain."""
    by_id = {key.key_id: key for key in (audit_keys() if keys is None else keys)}
    checkpoints, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        checkpoint, problem = _read(number, line, by_id)
        if problem:
            problems.append(ChainProblem(checkpoint.sequence if checkpoint else 0,
                                         f"{path.name} line {number}: {problem}", "checkpoint"))
        elif checkpoint is not None:
            checkpoints.append(checkpoint)
    return checkpoints, problems + _off_the_chain(path.name, checkpoints)


def _read(number: int, line: str, keys: dict[str, AuditKey]
          ) -> tuple[Checkpoint | None, str]:
    try:
        record = json.loads(line)
        fields = {name: record[name] for name in FIELDS}
        checkpoint = Checkpoint(number, int(fields["sequence"]), str(fields["hash"]),
                                str(fields["taken_at"]), str(fields["key_id"]))
        given = str(record["signature"])
    except (ValueError, KeyError, TypeError):
        return None, "not a checkpoint (the file was edited, or is not a checkpoint file)"
    if fields["format"] != FORMAT:
        return None, f"unknown format {fields['format']!r}"
    key = keys.get(checkpoint.key_id)
    if key is None:
        return checkpoint, (f"signed with key {checkpoint.key_id}, which is not configured "
                            f"(configured: {', '.join(keys)}): wrong key, or a forgery")
    if not same(signature(key.secret, fields), given):
        return checkpoint, ("its signature does not verify: the checkpoint was edited or "
                            "forged")
    return checkpoint, ""


def _off_the_chain(name: str, checkpoints: list[Checkpoint]) -> list[ChainProblem]:
    links = dict(AuditEvent.objects.filter(sequence__in={c.sequence for c in checkpoints})
                 .values_list("sequence", "hash"))
    links[0] = GENESIS
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    problems = []
    for c in checkpoints:
        where = f"{name} line {c.line} (taken {c.taken_at})"
        if c.sequence not in links and c.sequence > (last or 0):
            text = (f"the chain ends at event {last or 0} but {where} vouches for event "
                    f"{c.sequence}: events at the end were deleted (truncated)")
            problems.append(ChainProblem(c.sequence, text, "truncated"))
        elif c.sequence not in links:
            problems.append(ChainProblem(c.sequence, f"event {c.sequence}, vouched for by "
                                         f"{where}, is missing", "checkpoint"))
        elif not same(links[c.sequence], c.hash):
            problems.append(ChainProblem(c.sequence, f"event {c.sequence} is not the event "
                                         f"{where} vouched for: the chain was rewritten up "
                                         "to it", "checkpoint"))
    return problems
