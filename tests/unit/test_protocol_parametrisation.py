"""The suites run on every trial in protocols/: a new protocol file is picked up by every
parametrised test without an edit, and every capability a test asks for is had by some
protocol (else its tests would never run)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.protocol_cases import (
    CAPABILITIES,
    PROTOCOLS_ENV,
    ROOT,
    protocol_files,
    with_capabilities,
)

SUITES = [
    "tests/unit/core/forms/test_validate.py",
    "tests/integration/test_participant_journey.py",
    "tests/integration/test_gates.py",
    "tests/integration/pages/test_blinding_crawl.py",
    "tests/functional/test_api_trial_operations.py",
    "tests/functional/test_blinding_crawl.py",
    "tests/browser/test_journeys.py",
]
"""One module of each suite: unit, integration (journeys, gates), pages crawl, functional API,
API crawl, browser."""


def test_the_trials_are_every_yaml_file_of_protocols_but_not_the_library():
    files = protocol_files()
    assert files == sorted((ROOT / "protocols").glob("*.yaml"))
    assert {p.stem for p in files} >= {"nct05532943", "nct01854957", "nct01716481"}
    assert not any("library" in p.parts for p in files)
    assert with_capabilities() == files


@pytest.mark.parametrize("capability", sorted(CAPABILITIES))
def test_every_capability_a_test_may_ask_for_is_had_by_some_protocol(capability):
    assert with_capabilities(capability), f"no protocol in protocols/ has {capability}"


def test_an_unknown_capability_is_an_error_not_an_empty_parametrisation():
    with pytest.raises(KeyError, match="unknown capability"):
        with_capabilities("time_travel")


def _collected(folder: Path) -> list[str]:
    env = {**os.environ, PROTOCOLS_ENV: str(folder)}
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                           "-p", "no:cacheprovider", *SUITES], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return [line for line in done.stdout.splitlines() if "::" in line]


def _stems(node_ids: list[str], module: str) -> set[str]:
    found = set()
    for node in node_ids:
        if node.startswith(module):
            match = re.search(r"\[(nct\d+|new_trial)[^\]]*\]$", node)
            if match:
                found.add(match[1])
    return found


def test_a_protocol_file_dropped_into_protocols_is_run_by_every_parametrised_suite(tmp_path):
    """A copy of the reference protocol under a new name, in a protocols folder of its own:
    every parametrised test of each suite runs on it wherever it runs on the reference."""
    for path in protocol_files():
        shutil.copy(path, tmp_path / path.name)
    source = ROOT / "protocols" / "nct05532943.yaml"
    shutil.copy(source, tmp_path / "new_trial.yaml")
    collected = _collected(tmp_path)
    tests = {node.split("[")[0] for node in collected if "[" in node}
    assert {t.split("::")[0] for t in tests} == set(SUITES)
    for test in tests:
        stems = _stems([n for n in collected if n.split("[")[0] == test], test)
        assert ("new_trial" in stems) == (source.stem in stems), test
        assert stems <= {p.stem for p in tmp_path.glob("*.yaml")}, test
    assert _stems(collected, SUITES[0]) == {p.stem for p in tmp_path.glob("*.yaml")}


# The next two run in this order on one worker: the first builds the session's ``trial`` from
# the reference protocol, the second asks for another protocol by marker. Before the conftest
# parametrized unmarked tests too, the second got the first's cached trial (CI, stop 16).
@pytest.mark.xdist_group("trial-cache-order")
def test_an_unmarked_test_gets_the_reference_trial(trial, trial_path):
    assert trial_path.stem == "nct05532943"
    assert trial.path == trial_path


@pytest.mark.xdist_group("trial-cache-order")
@pytest.mark.protocols("crossover")
def test_a_marked_test_after_it_gets_its_own_trial_not_the_cached_one(trial, trial_path):
    assert trial.path == trial_path
    assert trial.has("crossover")
