"""Coding verbatim terms to a medical dictionary the sponsor loads (MedDRA's file layout)."""

from trialkit.core.coding.dictionary import (
    Coding,
    Dictionary,
    DictionaryError,
    LowestLevelTerm,
    PreferredTerm,
    Soc,
    Term,
    read_dictionary,
)
from trialkit.core.coding.lookup import Suggestion, exact_match, normalise, suggest

__all__ = ["Coding", "Dictionary", "DictionaryError", "LowestLevelTerm", "PreferredTerm", "Soc",
           "Suggestion", "Term", "exact_match", "normalise", "read_dictionary", "suggest"]
