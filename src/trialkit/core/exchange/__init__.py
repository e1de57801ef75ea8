"""Neutral rows for standards exchange: what every writer in ``trialkit.interop`` reads."""

from trialkit.core.exchange.rows import (
    DoseRow,
    ExchangeRows,
    RandomizationRow,
    ScreeningRow,
    SignatureRow,
    SiteRow,
    VersionRow,
    VisitRow,
)

__all__ = ["DoseRow", "ExchangeRows", "RandomizationRow", "ScreeningRow", "SignatureRow",
           "SiteRow", "VersionRow", "VisitRow"]
