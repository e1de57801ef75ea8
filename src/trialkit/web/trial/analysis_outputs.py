"""The outputs of ``trialkit analyze`` for one actor as of a date, computed by the same code as
the command line and kept on disk, for the analysis page and the API's exports.

Who may ask follows from the protocol's roles: a role that exports data (the statistician,
data management) or reviews safety (the committee) — ``ANALYSIS``. What they get follows from
the access layer alone: the rows come from ``analysis_source.trial_rows`` for the actor, which
reads arms through ``access_exposure`` only for a role that sees allocation (or a role blinded
until the lock, once the study is locked); for anyone else the rows carry no allocation and
every output is pooled. A committee that sees ``arm_summaries`` only is pooled here: it reads
tables by arm at frozen data cuts (ADR 0014), never live ones.

Outputs are cached by (protocol version, code version, as-of date, SHA-256 of the actor's
rows): the rows hold everything the outputs depend on — the actor's sites and, when arms are
read, the allocations — so two actors share a computation exactly when they would get the same
bytes, and new data (another hash) is never answered from an old computation. Reading the rows
is done for every request: it is what checks the actor's view afresh (and audits a read of
arms), and it is cheap next to the analysis.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from trialkit import __version__
from trialkit.core.protocol import protocol_version
from trialkit.core.protocol.roles import Permission
from trialkit.core.reporting.stamp import Stamp
from trialkit.reports.analyze import analyze
from trialkit.web.trial.access import refuse
from trialkit.web.trial.actions.base import Actor, NotFoundError
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.analysis_source import trial_rows
from trialkit.web.trial.study import in_protocol_language

ANALYSIS: tuple[Permission, ...] = ("export_data", "review_safety")
"""The permissions that open the analysis: the statistician's and data management's
(``export_data``) and the safety committee's (``review_safety``)."""
ZIP = "all.zip"
"""Every output in one file (the outputs themselves live in folders or end in .html/.json)."""


def may_analyze(actor: Actor) -> bool:
    return any(actor.can(p) for p in ANALYSIS)


def require_analysis(actor: Actor) -> None:
    if not may_analyze(actor):
        refuse(actor, AuditAction.EXPORT_DATA, _("role '%(role)s' may not read the analysis"),
               "Export", role=actor.role)


@dataclass(frozen=True)
class Computed:
    """The outputs of one computation, in their cache folder."""

    folder: Path
    stamp: Stamp
    files: tuple[str, ...]
    """Every output's path relative to the folder, the manifest's included, the zip apart."""

    def path(self, output: str) -> Path:
        if output != ZIP and output not in self.files:
            raise NotFoundError(_("no output '%(output)s' in this analysis"), field="output",
                                output=output)
        return self.folder / output

    def records(self, output: str) -> int:
        """Records leaving with a download: a dataset's, every dataset's for the zip, else 0."""
        results = json.loads((self.folder / "results.json").read_text(encoding="utf-8"))
        counts = {name.lower(): d["records"] for name, d in results["datasets"].items()}
        if output == ZIP:
            return sum(counts.values())
        if output.startswith("datasets/"):
            return counts.get(Path(output).stem.lower(), 0)
        return 0


COMPUTING = "computing-"
"""The name prefix of a computation still being written."""
IN_USE = dt.timedelta(hours=1)
"""A computation used this recently is never pruned, however many there are: a download of it
may still be reading its files."""
ABANDONED = dt.timedelta(days=1)
"""A half-written computation this old was left by a process that died while computing."""


def cache_root() -> Path:
    root = Path(settings.VAR_DIR) / "analysis-cache"
    root.mkdir(parents=True, exist_ok=True)
    return root


def computed(actor: Actor, as_of: dt.date) -> Computed:
    """The analysis as ``actor`` may see it as of ``as_of``: computed once per (protocol
    version, code version, as-of, rows), then read from the cache. In the protocol's own
    words whatever the page's language: one computation serves every reader."""
    require_analysis(actor)
    with in_protocol_language():
        return _computed(actor, as_of)


def _computed(actor: Actor, as_of: dt.date) -> Computed:
    protocol = actor.protocol()
    rows = trial_rows(as_of, actor)
    key = hashlib.sha256(json.dumps(
        [protocol_version(protocol), __version__, as_of.isoformat(), rows.digest()]
    ).encode()).hexdigest()[:40]
    folder = cache_root() / key
    if (folder / ZIP).is_file():
        folder.touch()  # used: the pruning keeps what was used last
    else:
        # Written beside the cache and moved in whole: a reader never meets half an analysis,
        # and of two requests computing at once, one folder stays.
        work = Path(tempfile.mkdtemp(prefix=COMPUTING, dir=cache_root()))
        try:
            analyze(protocol, rows, work / "out")
            _zip(work / "out", as_of)
            (work / "out").rename(folder)
        except OSError:
            if not (folder / ZIP).is_file():
                raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        prune(cache_root(), keep=kept(), now=dt.datetime.now(dt.UTC))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    stamp = dict(manifest["stamp"])
    stamp.pop("headline")
    stamp["as_of"] = dt.date.fromisoformat(stamp["as_of"])
    return Computed(folder, Stamp(**stamp), ("manifest.json", *sorted(manifest["files"])))


def kept() -> int:
    """Computations kept in the cache (``TRIALKIT_ANALYSIS_CACHE_KEEP``, 32 unless set): the
    most recently used, a few MB each; an older one is computed again if asked for."""
    return int(settings.TRIALKIT_ANALYSIS_CACHE_KEEP)


def prune(root: Path, *, keep: int, now: dt.datetime) -> list[Path]:
    """Remove all but the ``keep`` most recently used computations, except any used within
    ``IN_USE``, and half-written ones older than ``ABANDONED``; return what was removed.

    A computation is a folder named by its key; its modification time is its last use
    (``computed`` touches it). Two processes pruning at once remove the same folders: a folder
    already gone is no error."""
    def age(path: Path) -> dt.timedelta:
        try:
            return now - dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        except FileNotFoundError:
            return dt.timedelta(0)

    ages = {p: age(p) for p in root.iterdir() if p.is_dir()}  # one stat per folder
    abandoned = [p for p, old in ages.items() if p.name.startswith(COMPUTING) and old > ABANDONED]
    done = sorted((p for p in ages if not p.name.startswith(COMPUTING)), key=ages.__getitem__)
    stale = [p for p in done[keep:] if ages[p] > IN_USE]
    for path in (*abandoned, *stale):
        shutil.rmtree(path, ignore_errors=True)
    return [*abandoned, *stale]


def _zip(out: Path, as_of: dt.date) -> None:
    """Every output, in name order, dated the as-of day: the same data give the same zip."""
    moment = (max(as_of.year, 1980), as_of.month, as_of.day, 0, 0, 0)
    with zipfile.ZipFile(out / ZIP, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in out.rglob("*") if p.is_file() and p.name != ZIP):
            info = zipfile.ZipInfo(str(path.relative_to(out)), moment)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
