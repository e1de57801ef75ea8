"""The analysis over the API: results.json and a zip of every output, the bytes `trialkit
analyze` writes for the same actor and date, pooled unless the token's role sees allocation,
refused to roles that neither export data nor review safety (every answer checked against the
published schema)."""

from __future__ import annotations

import io
import zipfile

import pytest

from trialkit.web.trial import clock
from trialkit.web.trial.analysis_outputs import ANALYSIS
from trialkit.web.trial.models import AuditEvent

pytestmark = pytest.mark.protocols("randomized")


@pytest.fixture(autouse=True)
def _own_cache(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"  # the analysis cache lives under it


def _role(trial, sees_allocation: bool) -> str:
    return next(r.id for r in trial.protocol.roles if set(ANALYSIS) & set(r.can)
                and ("allocation" in r.sees) is sees_allocation)


@pytest.mark.parametrize("sees_allocation", [False, True])
def test_the_results_and_the_zip_are_what_the_command_writes_for_the_same_actor(
        trial, api, token_for, tmp_path, capsys, sees_allocation):
    from trialkit.cli.main import main

    role = _role(trial, sees_allocation)
    token = token_for(role, username="analyst")
    as_of = clock.today().isoformat()
    results = api.get(f"/api/exports/analysis/results.json?as_of={as_of}", token=token)
    assert results.status_code == 200
    view = "unblinded-by-arm" if sees_allocation else "blinded-pooled"
    assert results.body["stamp"]["view"] == view and results.body["stamp"]["as_of"] == as_of
    bundle = api.get("/api/exports/analysis/all.zip", token=token)
    assert bundle.status_code == 200 and bundle["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(bundle.content))
    out = tmp_path / "cli"
    assert main(["analyze", "--out", str(out), "--quiet", "--as-of", as_of,
                 "--user", "analyst", "--role", role]) == 0
    capsys.readouterr()
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert sorted(archive.namelist()) == written
    assert all(archive.read(name) == (out / name).read_bytes() for name in written)
    assert results.content == (out / "results.json").read_bytes()
    exports = AuditEvent.objects.filter(action="export_data").order_by("sequence")
    assert [e.new["export"] for e in exports][-2:] == ["analysis results.json",
                                                        "analysis all.zip"]


def test_a_role_that_neither_exports_nor_reviews_safety_is_refused(trial, api, token_for):
    outsider = next(r.id for r in trial.protocol.roles if not set(ANALYSIS) & set(r.can))
    token = token_for(outsider)
    assert api.get("/api/exports/analysis/results.json", token=token).status_code == 403
    assert api.get("/api/exports/analysis/all.zip", token=token).status_code == 403
    assert AuditEvent.objects.filter(action="read_refused").last().new["read"] == "export_data"


def test_a_date_to_come_is_refused(trial, api, token_for):
    token = token_for(_role(trial, False))
    later = clock.today().replace(year=clock.today().year + 1).isoformat()
    answer = api.get(f"/api/exports/analysis/results.json?as_of={later}", token=token)
    assert answer.status_code in (400, 422) and "as_of" in answer.content.decode()


def test_a_new_computation_prunes_the_least_recently_used_beyond_the_kept_number(
        trial, api, token_for, settings):
    import datetime as dt
    import os
    import time

    from trialkit.web.trial.analysis_outputs import cache_root

    settings.TRIALKIT_ANALYSIS_CACHE_KEEP = 1
    token = token_for(_role(trial, False))
    yesterday = clock.today() - dt.timedelta(days=1)
    url = "/api/exports/analysis/results.json?as_of={}"
    assert api.get(url.format(yesterday.isoformat()), token=token).status_code == 200
    [first] = list(cache_root().iterdir())
    two_hours_ago = time.time() - 7200  # no longer in use
    os.utime(first, (two_hours_ago, two_hours_ago))

    assert api.get(url.format(clock.today().isoformat()), token=token).status_code == 200
    [kept] = list(cache_root().iterdir())
    assert kept != first and not first.exists()
