"""Batch eligibility over patient databases (Ibis: DuckDB by default, PySpark beyond).

``evaluate_records`` runs the batch engine on patient records, so the spec suite can hold it to
the in-memory reference engine's answers.
"""

from trialkit.prescreen.batch import evaluate_records, screen_tables

__all__ = ["evaluate_records", "screen_tables"]
