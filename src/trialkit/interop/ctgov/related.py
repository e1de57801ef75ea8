"""Related trials: the registry records of a folder ranked by how alike they are to one trial.

A trial is compared with each record on three things, each scored from 0 to 1:

- **conditions** and **interventions**: by MeSH when both records carry the registry's MeSH
  indexing (``derivedSection`` ``conditionBrowseModule`` / ``interventionBrowseModule``:
  the terms and their ancestors; a classic XML record's ``condition_browse`` /
  ``intervention_browse`` terms, which have no ancestors), else by the names as written,
  normalised (``related_text``). The score is the mean of two coverages: the share of the
  query's terms the record shares, and the share of the record's terms the query shares, so
  a record listing twenty conditions does not match everything. An intervention given only in
  placebo or sham comparator arms is left out: "saline" or "placebo" says nothing about what
  a trial studies;
- **text**: TF-IDF cosine of the titles, brief summary and keywords (``tfidf``).

The score is ``CONDITION_WEIGHT * conditions + INTERVENTION_WEIGHT * interventions +
TEXT_WEIGHT * text``; ties are broken by registry id, then file name. Each result keeps the
shared terms and the text's best words, so the page and the command show why it ranks where
it does. A protocol file is first written as its own registry record (``export``), so a
protocol and a record are compared the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from trialkit.core.protocol import Protocol, load_protocol
from trialkit.interop.ctgov._record import Record
from trialkit.interop.ctgov.export import study_record
from trialkit.interop.ctgov.import_json import read_record
from trialkit.interop.ctgov.related_records import Concepts, study_concepts, xml_mesh
from trialkit.interop.ctgov.related_text import shared_words
from trialkit.interop.ctgov.tfidf import TextMatch, text_matches

CONDITION_WEIGHT = 0.5
"""The disease is what makes two trials comparable: a sponsor looks first for trials in the
same condition, whatever their treatment."""
INTERVENTION_WEIGHT = 0.2
"""The treatment counts, but less: names vary (codes, brands, "best available therapy") and
many records list none, which should not sink an otherwise close trial."""
TEXT_WEIGHT = 0.3
"""Titles and summaries catch what the structured fields miss (population, mechanism,
design), but share much trial vocabulary, so they refine rather than decide."""
EMBEDDING_WEIGHT = 0.3
"""With the optional embedding model: its cosine's share of the re-ranked score."""
RECORD_SUFFIXES = (".json", ".xml")

Similarity = Callable[[str, Sequence[str]], Sequence[float]]
"""An optional semantic similarity: the query's text and the corpus's texts -> one cosine
per corpus text (``related_embed.embedding_similarity``)."""


@dataclass(frozen=True)
class Trial:
    ident: str
    title: str
    source: str
    """The file the trial was read from (a name, for messages and the page)."""
    conditions: Concepts
    interventions: Concepts
    text: str


@dataclass(frozen=True)
class Overlap:
    score: float
    via: Literal["mesh", "text"]
    shared: tuple[str, ...]


@dataclass(frozen=True)
class Related:
    trial: Trial
    score: float
    conditions: Overlap
    interventions: Overlap
    text: TextMatch
    embedding: float | None = None


@dataclass(frozen=True)
class Corpus:
    trials: tuple[Trial, ...]
    skipped: tuple[tuple[str, str], ...]
    """(file name, why) for each file that could not be read as a registry record."""


def trial_from_study(study: Mapping[str, Any], source: str) -> Trial:
    record = Record(study)
    ident = record.text("identificationModule.nctId") or Path(source).stem
    titles = [record.text(f"identificationModule.{k}")
              for k in ("briefTitle", "officialTitle", "acronym")]
    words = [*titles, record.text("descriptionModule.briefSummary"),
             *[k for k in record.items("conditionsModule.keywords") if isinstance(k, str)]]
    conditions, interventions = study_concepts(record)
    return Trial(ident=ident, title=titles[0] or titles[1] or ident, source=source,
                 conditions=conditions, interventions=interventions,
                 text="\n".join(w for w in words if w))


def trial_from_protocol(protocol: Protocol, source: str) -> Trial:
    """The protocol as its registry record would show it (RecordError if it cannot be one)."""
    return trial_from_study(study_record(protocol), source)


def read_trial(path: Path) -> Trial:
    """A protocol file (``.yaml``/``.yml``) or a registry record file as a trial.

    Raises RecordError for a malformed record, ProtocolError for a malformed protocol, OSError
    or UnicodeDecodeError for an unreadable file."""
    if path.suffix.lower() in (".yaml", ".yml"):
        return trial_from_protocol(load_protocol(path), path.name)
    text = path.read_text(encoding="utf-8")
    study = read_record(text)
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        study = {**study, "derivedSection": xml_mesh(text)}
    return trial_from_study(study, path.name)


def read_corpus(folder: Path) -> Corpus:
    """Every ``.json`` and ``.xml`` file directly in ``folder``, by name; a file that is not a
    readable registry record is skipped with the reason, never fatal."""
    trials, skipped = [], []
    for path in sorted(p for p in folder.iterdir()
                       if p.is_file() and p.suffix.lower() in RECORD_SUFFIXES):
        try:
            trials.append(read_trial(path))
        except (ValueError, OSError) as exc:  # RecordError and UnicodeDecodeError included
            skipped.append((path.name, str(exc).splitlines()[0]))
    return Corpus(tuple(trials), tuple(skipped))


def rank(query: Trial, corpus: Sequence[Trial], *, top: int | None = None,
         similarity: Similarity | None = None) -> list[Related]:
    """The corpus's trials, most related first (the query's own record left out)."""
    others = [t for t in corpus if t.ident != query.ident]
    matches = text_matches(query.text, [t.text for t in others])
    found = [_related(query, trial, match) for trial, match in zip(others, matches, strict=True)]
    if similarity is not None and found:
        cosines = similarity(query.text, [t.text for t in others])
        found = [replace(r, embedding=float(c),
                         score=(1 - EMBEDDING_WEIGHT) * r.score + EMBEDDING_WEIGHT * float(c))
                 for r, c in zip(found, cosines, strict=True)]
    found.sort(key=lambda r: (-round(r.score, 9), r.trial.ident, r.trial.source))
    return found if top is None else found[:top]


def _related(query: Trial, trial: Trial, text: TextMatch) -> Related:
    conditions = overlap(query.conditions, trial.conditions)
    interventions = overlap(query.interventions, trial.interventions)
    score = (CONDITION_WEIGHT * conditions.score + INTERVENTION_WEIGHT * interventions.score
             + TEXT_WEIGHT * text.cosine)
    return Related(trial, score, conditions, interventions, text)


def overlap(query: Concepts, other: Concepts) -> Overlap:
    """Shared MeSH terms when both sides are indexed, else shared names (module docstring)."""
    if query.mesh and other.mesh:
        theirs = set(other.mesh)
        shared = tuple(t for t in query.mesh if t in theirs)
        return Overlap(_coverage(len(shared), len(query.mesh), len(shared), len(other.mesh)),
                       "mesh", shared)
    pairs = [(i, j, words) for i, mine in enumerate(query.names)
             for j, yours in enumerate(other.names)
             if (words := _best_shared(mine, yours)) is not None]
    shared = tuple(dict.fromkeys(" ".join(words) for _, _, words in pairs))
    return Overlap(_coverage(len({i for i, _, _ in pairs}), len(query.names),
                             len({j for _, j, _ in pairs}), len(other.names)), "text", shared)


def _best_shared(mine: tuple[tuple[str, ...], ...], yours: tuple[tuple[str, ...], ...]
                 ) -> tuple[str, ...] | None:
    """The longest words two concepts share over their names (a name and its other names)."""
    found = [w for a in mine for b in yours if (w := shared_words(a, b)) is not None]
    return max(found, key=len) if found else None


def _coverage(mine: int, of_mine: int, theirs: int, of_theirs: int) -> float:
    if not of_mine or not of_theirs:
        return 0.0
    return (mine / of_mine + theirs / of_theirs) / 2
