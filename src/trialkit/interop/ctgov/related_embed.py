"""Optional re-ranking of related trials by a small embedding model, used only when installed.

WordLlama (PyPI ``wordllama``) ships the weights of its default 256-dimension model and its
tokenizer inside the package, so it runs offline; trialkit does not depend on it. When it is
importable, ``embedding_similarity`` loads it from its own package folder with downloads
disabled (``disable_download=True``: a missing file is an error here, never a fetch) and
returns the cosine of each text's embedding with the query's. Without it, the ranking is the
lexical one (MeSH/names and TF-IDF), which is complete on its own.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trialkit.interop.ctgov.related import Similarity

PACKAGE = "wordllama"


class EmbeddingUnavailableError(RuntimeError):
    """The optional model is not installed or cannot load its shipped weights."""


def embedding_similarity() -> Similarity:
    """A ``Similarity`` from WordLlama's shipped model; raises EmbeddingUnavailableError."""
    try:
        module = importlib.import_module(PACKAGE)
    except ImportError:
        raise EmbeddingUnavailableError(f"the optional package '{PACKAGE}' is not installed "
                                   f"(pip install {PACKAGE}); ranked without it") from None
    try:
        # The package folder is given as the cache folder: version 0.4 looks for its shipped
        # tokenizer in ``tokenizer/`` beside itself but ships it in ``tokenizers/``, the
        # cache's layout, so without this it would not find its own file.
        model = module.WordLlama.load(cache_dir=Path(str(module.__file__)).parent,
                                      disable_download=True)
    except (OSError, ValueError) as exc:
        raise EmbeddingUnavailableError(f"{PACKAGE} could not load its shipped model: {exc}") \
            from None
    return lambda query, texts: cosines(model, query, texts)


def cosines(model: Any, query: str, texts: Sequence[str]) -> list[float]:
    """Cosine of each text with the query, floored at 0 like the other parts of the score."""
    if not texts:
        return []
    vectors = np.asarray(model.embed([query, *texts], norm=True), dtype=float)
    return [max(0.0, float(v)) for v in vectors[1:] @ vectors[0]]
