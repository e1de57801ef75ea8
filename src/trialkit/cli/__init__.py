"""The ``trialkit`` command line."""
