"""`trialkit analyze` on every protocol's demo trial: a complete report in each view, the pooled
one naming no arm, Dataset-JSON valid against CDISC's schema, and the same bytes when run twice
on the same data (figures aside)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from django.contrib.auth.models import User

from tests.conftest import FIXTURES
from trialkit.reports.analyze import analyze
from trialkit.web.trial import clock
from trialkit.web.trial.actions.base import actor_for
from trialkit.web.trial.analysis_source import trial_rows

pytestmark = pytest.mark.protocols()
SCHEMA = json.loads((FIXTURES / "analysis" / "dataset-json-1.1.schema.json").read_text())


def _unblinded(demo, protocol):
    role = next(r.id for r in protocol.roles if "allocation" in r.sees)
    sign_in = next(s for s in demo.sign_ins if s.role == role)
    return actor_for(User.objects.get(username=sign_in.username), role)


def _first_line(report: Path) -> str:
    body = report.read_text(encoding="utf-8").split("<body>", 1)[1]
    return body.strip().split("\n", 1)[0]


def _analysed(out: Path) -> str:
    """What the analyses say (not the protocol's own prose, which may name an arm)."""
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return json.dumps([a for e in results["endpoints"] for a in e["analyses"]])


def test_the_pooled_report_is_complete_and_names_no_arm(trial, module_demo, tmp_path):
    protocol = trial.protocol
    written = analyze(protocol, trial_rows(clock.today()), tmp_path)
    assert "BLINDED (POOLED) VIEW" in _first_line(tmp_path / "report.html")
    results = written.results
    assert [e["id"] for e in results["endpoints"]] == [e.id for e in protocol.endpoints]
    assert all(e["analyses"] for e in results["endpoints"])
    analysed = _analysed(tmp_path)
    for arm in protocol.design.arms:
        assert f'"{arm.label}"' not in analysed, arm.label
    for path in (tmp_path / "datasets" / "dataset-json").glob("*.json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.Draft201909Validator(SCHEMA).validate(document)
        names = [c["name"] for c in document["columns"]]
        for variable in ("TRT01P", "TRT01A", "TRTA", "TRTSEQP"):
            if variable in names:
                at = names.index(variable)
                assert {row[at] for row in document["rows"]} <= {"POOLED", ""}, path.name
    assert (tmp_path / "datasets" / "xpt" / "adsl.xpt").is_file()
    assert (tmp_path / "datasets" / "parquet" / "ADSL.parquet").is_file()
    assert len(list((tmp_path / "rtf").glob("*.rtf"))) == sum(
        len(e.analyses) for e in protocol.endpoints)


def test_an_actor_who_sees_allocation_gets_the_report_by_arm(trial, module_demo, tmp_path):
    protocol = trial.protocol
    actor = _unblinded(module_demo, protocol)
    written = analyze(protocol, trial_rows(clock.today(), actor), tmp_path)
    assert written.stamp.view == "unblinded-by-arm"
    assert "UNBLINDED VIEW BY ARM" in _first_line(tmp_path / "report.html")
    groups = {a.label for a in protocol.design.arms} | {
        s.label for p in protocol.design.parts for s in p.sequences}
    assert any(f'"{g}"' in _analysed(tmp_path) for g in groups)


def test_a_blinded_role_gets_the_pooled_view(trial, module_demo, tmp_path):
    protocol = trial.protocol
    role = next(r for r in protocol.roles if not r.sees and not r.blinded_until_lock)
    sign_in = next(s for s in module_demo.sign_ins if s.role == role.id)
    actor = actor_for(User.objects.get(username=sign_in.username), role.id)
    assert trial_rows(clock.today(), actor).blinded


def test_running_twice_on_the_same_data_gives_the_same_bytes(trial, module_demo, tmp_path):
    rows = trial_rows(clock.today(), _unblinded(module_demo, trial.protocol))
    first = analyze(trial.protocol, rows, tmp_path / "first").files
    second = analyze(trial.protocol, rows, tmp_path / "second").files
    assert {k: v for k, v in first.items() if not k.startswith("figures/")} == {
        k: v for k, v in second.items() if not k.startswith("figures/")}
    assert any(k.startswith("datasets/xpt/") for k in first)


def test_the_command_writes_the_report_and_says_which_view(trial, module_demo, tmp_path,
                                                           capsys):
    from trialkit.cli.main import main

    code = main(["analyze", "--out", str(tmp_path), "--quiet", "--protocol", str(trial.path)])
    assert code == 0
    assert capsys.readouterr().out.startswith("BLINDED (POOLED) VIEW")
    assert (tmp_path / "manifest.json").is_file()


def test_the_command_refuses_a_user_without_the_role(trial, module_demo, tmp_path, capsys):
    from trialkit.cli.main import main

    sign_in = module_demo.sign_ins[0]
    other = next(r.id for r in trial.protocol.roles if r.id != sign_in.role)
    code = main(["analyze", "--out", str(tmp_path), "--quiet", "--user", sign_in.username,
                 "--role", other])
    assert code == 2 and "--role" in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()
