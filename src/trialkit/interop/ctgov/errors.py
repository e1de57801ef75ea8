"""The one error the registry readers raise: a record that cannot become a protocol."""


class RecordError(ValueError):
    """A registry record that is unreadable, not a study, or lacks a field trialkit needs.

    The message names the record and the missing or malformed field in registry terms
    (``protocolSection.statusModule.startDateStruct.date``) so it can be fixed at the source.
    """
