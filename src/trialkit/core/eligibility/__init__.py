"""Executable eligibility: criteria language, patient records and the in-memory engine."""
