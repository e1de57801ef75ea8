"""A command imports what it needs, not what every other command needs: ``trialkit web
serve`` and ``trialkit protocol validate`` start in well under a second of imports, and the
full help still lists every command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from trialkit.cli.main import build_parser

HEAVY = ("scipy", "matplotlib", "ibis", "pyspark")


def _imported_after(command: str) -> set[str]:
    probe = (f"import sys; from trialkit.cli.main import build_parser; "
             f"build_parser({command!r}); print(' '.join(sys.modules))")
    output = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout
    return {name.split(".")[0] for name in output.split()}


@pytest.mark.parametrize("command", ["web", "protocol", "audit", "restore"])
def test_a_command_does_not_import_the_other_commands_heavy_dependencies(command):
    assert _imported_after(command).isdisjoint(HEAVY)


def test_the_help_and_an_unknown_command_see_every_command():
    every = set(build_parser()._subparsers._group_actions[0].choices)
    assert {"web", "simulate", "prescreen", "restore", "export"} <= every
    for command in (None, "--help", "no-such-command"):
        parser = build_parser(command)
        assert set(parser._subparsers._group_actions[0].choices) == every
    assert set(build_parser("restore")._subparsers._group_actions[0].choices) >= {"restore"}
