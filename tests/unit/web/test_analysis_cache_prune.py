"""The analysis cache keeps the computations used last, never one in use, and clears what a
dead process left half-written (trialkit.web.trial.analysis_outputs.prune)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from trialkit.web.trial.analysis_outputs import COMPUTING, prune

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def _folder(root: Path, name: str, used_ago: dt.timedelta) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "all.zip").write_bytes(b"zip")
    moment = (NOW - used_ago).timestamp()
    os.utime(folder, (moment, moment))
    return folder


def test_all_but_the_most_recently_used_go_once_out_of_use(tmp_path):
    hours = {name: _folder(tmp_path, name, dt.timedelta(hours=h))
             for name, h in [("a", 2), ("b", 5), ("c", 3), ("d", 30)]}
    removed = prune(tmp_path, keep=2, now=NOW)
    assert sorted(p.name for p in removed) == ["b", "d"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "c"]
    assert not hours["b"].exists()


def test_a_computation_used_within_the_hour_stays_beyond_the_kept_number(tmp_path):
    for name, minutes in [("a", 1), ("b", 20), ("c", 59)]:
        _folder(tmp_path, name, dt.timedelta(minutes=minutes))
    assert prune(tmp_path, keep=1, now=NOW) == []
    assert len(list(tmp_path.iterdir())) == 3


def test_a_half_written_computation_goes_only_when_abandoned(tmp_path):
    _folder(tmp_path, f"{COMPUTING}live", dt.timedelta(hours=3))
    dead = _folder(tmp_path, f"{COMPUTING}dead", dt.timedelta(days=2))
    assert prune(tmp_path, keep=5, now=NOW) == [dead]
    assert [p.name for p in tmp_path.iterdir()] == [f"{COMPUTING}live"]
