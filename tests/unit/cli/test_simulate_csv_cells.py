"""trials.csv of ``trialkit simulate`` neutralises cells a spreadsheet would run as formulas:
scenario ids come from a file (or the command line) anyone may write."""

from __future__ import annotations

import csv
from types import SimpleNamespace

from trialkit.cli.commands.simulate import _rows_csv


def test_a_scenario_id_that_starts_a_formula_is_quoted_and_numbers_stay_numbers(tmp_path):
    simulation = SimpleNamespace(
        setups=[SimpleNamespace(scenario=SimpleNamespace(id="=1+2")),
                SimpleNamespace(scenario=SimpleNamespace(id="reference"))],
        rows=[[{"effect": -0.5}], [{"effect": 1.25}]])
    out = tmp_path / "trials.csv"
    _rows_csv(simulation, out)
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows == [["scenario", "trial", "effect"], ["'=1+2", "0", "-0.5"],
                    ["reference", "0", "1.25"]]
