"""A related-trials ranking written out: as JSON (stable: fixed key order, rounded numbers,
so two runs on the same files give the same bytes) and as text for a terminal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from trialkit.interop.ctgov.related import (
    CONDITION_WEIGHT,
    EMBEDDING_WEIGHT,
    INTERVENTION_WEIGHT,
    TEXT_WEIGHT,
    Corpus,
    Overlap,
    Related,
    Trial,
)

DIGITS = 4


def ranking_dict(query: Trial, corpus: Corpus, found: Sequence[Related]) -> dict[str, Any]:
    return {
        "query": {"id": query.ident, "title": query.title, "source": query.source},
        "weights": {"conditions": CONDITION_WEIGHT, "interventions": INTERVENTION_WEIGHT,
                    "text": TEXT_WEIGHT, "embedding": EMBEDDING_WEIGHT if _embedded(found)
                    else None},
        "records_read": len(corpus.trials),
        "results": [_result(rank, r) for rank, r in enumerate(found, start=1)],
        "skipped": [{"file": name, "problem": why} for name, why in corpus.skipped],
    }


def ranking_json(query: Trial, corpus: Corpus, found: Sequence[Related]) -> str:
    return json.dumps(ranking_dict(query, corpus, found), indent=2, ensure_ascii=False)


def _result(rank: int, r: Related) -> dict[str, Any]:
    return {
        "rank": rank, "id": r.trial.ident, "title": r.trial.title, "source": r.trial.source,
        "score": round(r.score, DIGITS),
        "conditions": _overlap(r.conditions), "interventions": _overlap(r.interventions),
        "text": {"cosine": round(r.text.cosine, DIGITS), "terms": list(r.text.terms)},
        "embedding": None if r.embedding is None else round(r.embedding, DIGITS),
    }


def _embedded(found: Sequence[Related]) -> bool:
    return any(r.embedding is not None for r in found)


def _overlap(o: Overlap) -> dict[str, Any]:
    return {"score": round(o.score, DIGITS), "via": o.via, "shared": list(o.shared)}


def ranking_text(query: Trial, corpus: Corpus, found: Sequence[Related]) -> str:
    lines = [f"Related trials for {query.ident}: {query.title}",
             f"{len(corpus.trials)} records read; score = {CONDITION_WEIGHT} conditions + "
             f"{INTERVENTION_WEIGHT} interventions + {TEXT_WEIGHT} title/summary text", ""]
    if _embedded(found):
        lines.insert(2, f"re-ranked: {1 - EMBEDDING_WEIGHT:g} x that score + "
                        f"{EMBEDDING_WEIGHT:g} x embedding cosine")
    for rank, r in enumerate(found, start=1):
        lines.append(f"{rank:>2}. {r.trial.ident}  {r.score:.3f}  {r.trial.title}")
        lines.extend(f"      {line}" for line in reasons(r))
    if not found:
        lines.append("No other registry record in the folder.")
    return "\n".join(lines)


def reasons(r: Related) -> list[str]:
    """Why a record ranks where it does, one line per part of the score."""
    lines = [_reason("conditions", r.conditions), _reason("interventions", r.interventions),
             f"title/summary (cosine {r.text.cosine:.2f}): "
             + (", ".join(r.text.terms) or "no word in common")]
    if r.embedding is not None:
        lines.append(f"embedding cosine {r.embedding:.2f}")
    return lines


def _reason(what: str, o: Overlap) -> str:
    via = "MeSH" if o.via == "mesh" else "names"
    shared = "; ".join(o.shared) if o.shared else "none shared"
    return f"{what} ({via}, {o.score:.2f}): {shared}"
