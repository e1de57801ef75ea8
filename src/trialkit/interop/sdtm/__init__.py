"""SDTM submission files: each domain of ``trialkit.core.sdtm`` as SAS transport v5 and CDISC
Dataset-JSON 1.1, a Define-XML 2.1 describing them, the controlled terminology they use (vendored
as data in ``ct/``), and trialkit's own conformance checker whose rules are data
(``rules.yaml``).

Public surface: ``write_submission`` (protocol + rows → folder), ``validate_submission`` (folder
→ problems: schemas and the checker's errors), ``check_folder`` (every finding, warnings too)
and ``validate_with_core`` (the optional CDISC CORE run).
"""

from __future__ import annotations

from trialkit.interop.sdtm.check import Finding, check_folder
from trialkit.interop.sdtm.core_engine import validate_with_core
from trialkit.interop.sdtm.submission import validate_submission, write_domains, write_submission

__all__ = ["Finding", "check_folder", "validate_submission", "validate_with_core",
           "write_domains", "write_submission"]
