"""Errors a command reports to the user without a traceback (exit code 2)."""


class UsageError(Exception):
    """Bad input: a missing file, a malformed record, an impossible option."""
