"""The optional CDISC CORE run says plainly why it cannot run here, and runs nothing."""

from __future__ import annotations

import importlib.util

import pytest

from trialkit.interop.sdtm import validate_with_core


def test_without_a_cache_directory_core_is_not_run(tmp_path):
    assert validate_with_core(tmp_path, None) == [
        "CDISC CORE not available: no rules cache directory was given "
        "(--validate-with-core CACHE_DIR)"]


@pytest.mark.skipif(importlib.util.find_spec("cdisc_rules_engine") is not None,
                    reason="the CORE engine is installed here; this checks its absence")
def test_without_the_engine_installed_core_is_reported_unavailable(tmp_path):
    (lines,) = [validate_with_core(tmp_path, tmp_path)]
    assert len(lines) == 1 and lines[0].startswith("CDISC CORE not available")
    assert "cdisc-rules-engine" in lines[0] and not list(tmp_path.iterdir())
