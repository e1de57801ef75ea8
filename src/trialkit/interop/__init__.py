"""Readers and writers for the standards trialkit's users live in (registry, CDISC, FHIR, OMOP)."""
