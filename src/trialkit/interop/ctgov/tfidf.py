"""TF-IDF cosine similarity between one query text and a corpus of texts (numpy and scipy).

Written here because scikit-learn is not a dependency; the weighting is the common one
(and scikit-learn's defaults with ``sublinear_tf=True``), so the numbers can be checked:

- term frequency ``1 + ln(count)`` (sublinear: a word said five times is not five times the
  evidence of a word said once, and summaries repeat their disease name);
- inverse document frequency ``ln((1 + n) / (1 + df)) + 1`` over the query and the corpus
  together (smoothed: no division by zero, and a word in every text still counts a little);
- each text's vector scaled to unit length, so the cosine is a dot product in [0, 1].

Words come from ``related_text.tokens``; the vocabulary is sorted, so the result does not
depend on the order the corpus was read in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from trialkit.interop.ctgov.related_text import tokens


@dataclass(frozen=True)
class TextMatch:
    """How much a corpus text reads like the query, and the words that carried it."""

    cosine: float
    terms: tuple[str, ...]
    """The shared words contributing most to the cosine, largest first (ties alphabetical)."""


def text_matches(query: str, corpus: Sequence[str], *, top_terms: int = 5) -> list[TextMatch]:
    """One ``TextMatch`` per corpus text, in the corpus's order."""
    counts = [Counter(tokens(text)) for text in (query, *corpus)]
    vocabulary = sorted(set().union(*counts))
    if not vocabulary:
        return [TextMatch(0.0, ()) for _ in corpus]
    index = {word: i for i, word in enumerate(vocabulary)}
    weights = _weights(counts, index)
    query_row = weights.getrow(0).toarray().ravel()
    rows = weights[1:]
    contributions = rows.multiply(query_row).tocsr()
    cosines = np.asarray(contributions.sum(axis=1)).ravel()
    return [TextMatch(float(min(1.0, cosines[i])),
                      _top(contributions.getrow(i), vocabulary, top_terms))
            for i in range(len(corpus))]


def _weights(counts: list[Counter[str]], index: dict[str, int]) -> sparse.csr_matrix:
    rows, cols, values = [], [], []
    for row, counter in enumerate(counts):
        for word, count in counter.items():
            rows.append(row)
            cols.append(index[word])
            values.append(1.0 + np.log(count))
    tf = sparse.csr_matrix((values, (rows, cols)), shape=(len(counts), len(index)))
    df = np.bincount(cols, minlength=len(index))
    idf = np.log((1.0 + len(counts)) / (1.0 + df)) + 1.0
    weighted = tf.multiply(idf).tocsr()
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ weighted)


def _top(row: sparse.csr_matrix, vocabulary: list[str], limit: int) -> tuple[str, ...]:
    pairs = [(-float(v), vocabulary[j]) for j, v in zip(row.indices, row.data, strict=True)
             if v > 0]
    return tuple(word for _, word in sorted(pairs)[:limit])
