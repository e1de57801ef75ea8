"""What every output carries: which protocol version, code version, data and view."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Literal

View = Literal["blinded-pooled", "unblinded-by-arm"]


@dataclass(frozen=True)
class Stamp:
    protocol_id: str
    protocol_version: str
    code_version: str
    as_of: dt.date
    data_sha256: str
    """SHA-256 of the neutral input rows the datasets were derived from."""
    view: View

    @property
    def headline(self) -> str:
        """The first line of every report: which view it is, before anything else."""
        if self.view == "blinded-pooled":
            return ("BLINDED (POOLED) VIEW — no result by arm; comparisons are withheld until "
                    "the study is locked")
        return "UNBLINDED VIEW BY ARM — for those entitled to see allocation"

    def lines(self) -> list[str]:
        return [f"Protocol {self.protocol_id}, version {self.protocol_version}",
                f"trialkit {self.code_version}", f"Data as of {self.as_of.isoformat()}",
                f"Input data SHA-256 {self.data_sha256}"]

    def as_data(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        data["headline"] = self.headline
        return data
