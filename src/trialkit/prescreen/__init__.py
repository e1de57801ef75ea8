"""Batch eligibility over patient databases (Ibis: DuckDB by default, PySpark beyond)."""
