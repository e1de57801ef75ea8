"""The optional run of the CDISC CORE engine over a submission folder.

CORE needs Python 3.12, its rules cache (downloaded from the engine's repository, with a CDISC
Library key for terminology) and its command line (``core``, shipped with the engine's releases
and source, not with the PyPI package). Where any of these is missing this says so plainly and
runs nothing: it is an extra check for a sponsor's machine, never a gate of trialkit's tests.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

NOT_AVAILABLE = "CDISC CORE not available: "


def core_unavailable(cache_dir: Path | None) -> str:
    """Why CORE cannot run here, or "" when it can."""
    if cache_dir is None:
        return NOT_AVAILABLE + "no rules cache directory was given (--validate-with-core CACHE_DIR)"
    if importlib.util.find_spec("cdisc_rules_engine") is None:
        return (NOT_AVAILABLE + "the cdisc-rules-engine package is not installed (it needs "
                "Python 3.12); trialkit's own checker and the schemas ran instead")
    if not cache_dir.is_dir():
        return NOT_AVAILABLE + f"the rules cache directory {cache_dir} does not exist"
    if shutil.which("core") is None:
        return (NOT_AVAILABLE + "its command line `core` (from the CORE release or source) is "
                "not on PATH")
    return ""


def validate_with_core(folder: Path, cache_dir: Path | None) -> list[str]:
    """CORE's report on ``folder`` (SDTMIG 3.4) as lines; one "not available" line when it
    cannot run. The report itself is written to ``folder/core-report.json``."""
    reason = core_unavailable(cache_dir)
    if reason:
        return [reason]
    command = ["core", "validate", "-s", "sdtmig", "-v", "3-4", "-d", str(folder),
               "-ca", str(cache_dir), "-o", str(folder / "core-report"), "-of", "JSON"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [f"CDISC CORE exited with status {result.returncode}"]
    return lines + [line for line in (result.stdout + result.stderr).splitlines() if line]
