"""The analysis page on every protocol: pooled for a blinded role, by arm for a role that sees
allocation, by arm for the statistician once the study is locked; its downloads are the bytes
`trialkit analyze` writes for the same actor and date; a role that neither exports data nor
reviews safety is refused."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from django.db import transaction

from tests.integration.pages.support import client_for, text_of
from tests.protocol_cases import allocation_secrets, analysis_texts, named_in, public_texts
from trialkit.web.trial import clock
from trialkit.web.trial.analysis_outputs import ANALYSIS
from trialkit.web.trial.models import AuditEvent, Study

pytestmark = pytest.mark.protocols()
POOLED, BY_ARM = "blinded (pooled) view", "unblinded view by arm"


@pytest.fixture(autouse=True)
def _own_cache(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the analysis cache lives under it


def _entitled(protocol, **wanted) -> list[str]:
    """Roles that open the page, filtered by what they see."""
    roles = [r for r in protocol.roles if set(ANALYSIS) & set(r.can)]
    if wanted.get("allocation") is not None:
        roles = [r for r in roles if ("allocation" in r.sees) is wanted["allocation"]]
    if wanted.get("until_lock") is not None:
        roles = [r for r in roles if r.blinded_until_lock is wanted["until_lock"]]
    return [r.id for r in roles]


def _first_line(body: bytes) -> str:
    main = body.decode().split('<main id="main" tabindex="-1">', 1)[1]
    return text_of(main.encode()).strip()[:80]


def _arms_named(body: bytes, protocol) -> set[str]:
    """Arm, sequence or preparation names on the page beyond the protocol's own texts (which
    name the design, not anyone's allocation), its endpoints' included."""
    text = text_of(body)
    for known in sorted([*public_texts(protocol), *analysis_texts(protocol)], key=len,
                        reverse=True):
        text = text.replace(known, " ")
    return named_in(text, {t.lower() for t in allocation_secrets(protocol)})


def _groups(protocol) -> set[str]:
    return {a.label.lower() for a in protocol.design.arms} | {
        s.label.lower() for p in protocol.design.parts for s in p.sequences}


def _links(body: bytes) -> list[str]:
    return sorted(set(re.findall(r'href="(/analysis/files/[^"]+)"', body.decode())))


@pytest.fixture
def locked():
    """The study locked for the test (undone after it): the state the lock action leaves,
    without the months of trial the lock's own refusals require first."""
    with transaction.atomic():
        Study.objects.filter(is_current=True).update(locked_at=clock.now())
        yield
        transaction.set_rollback(True)


def test_a_blinded_role_sees_the_pooled_results_naming_no_arm(trial, module_demo):
    protocol = trial.protocol
    for role in _entitled(protocol, allocation=False):
        if role not in {s.role for s in module_demo.sign_ins}:
            continue
        page = client_for(module_demo, role).get("/analysis/")
        assert page.status_code == 200, role
        assert _first_line(page.content).startswith(POOLED), role
        assert _arms_named(page.content, protocol) == set(), role
        assert "Data as of" in page.content.decode() and _links(page.content)


def test_a_role_that_sees_allocation_sees_the_results_by_arm(trial, module_demo):
    protocol = trial.protocol
    role = _entitled(protocol, allocation=True)[0]
    before = AuditEvent.objects.filter(action="read_allocation").count()
    page = client_for(module_demo, role).get("/analysis/")
    assert page.status_code == 200
    assert _first_line(page.content).startswith(BY_ARM)
    assert any(g in text_of(page.content) for g in _groups(protocol))
    # Reading the arms for the page is an audited read, like every other.
    assert AuditEvent.objects.filter(action="read_allocation").count() > before


def test_after_the_lock_the_role_blinded_until_then_sees_the_results_by_arm(
        trial, module_demo, locked):
    protocol = trial.protocol
    role = _entitled(protocol, until_lock=True)[0]
    page = client_for(module_demo, role).get("/analysis/")
    assert _first_line(page.content).startswith(BY_ARM)
    assert any(g in text_of(page.content) for g in _groups(protocol))


def test_after_the_lock_a_committee_that_sees_arm_summaries_only_stays_pooled(
        trial, module_demo, locked):
    """It reads tables by arm at frozen data cuts (ADR 0014); the lock does not give it
    participants' arms, which a live analysis's listings would name."""
    committee = [r.id for r in trial.protocol.roles if "review_safety" in r.can
                 and "arm_summaries" in r.sees and "allocation" not in r.sees]
    for role in committee:
        page = client_for(module_demo, role).get("/analysis/")
        assert _first_line(page.content).startswith(POOLED), role


def test_before_the_lock_the_same_role_sees_the_pooled_results(trial, module_demo):
    role = _entitled(trial.protocol, until_lock=True)[0]
    page = client_for(module_demo, role).get("/analysis/")
    assert _first_line(page.content).startswith(POOLED)


@pytest.mark.parametrize("sees_allocation", [True, False])
def test_every_download_is_what_the_command_writes_for_the_same_actor_and_date(
        trial, module_demo, tmp_path, capsys, sees_allocation):
    from trialkit.cli.main import main

    protocol = trial.protocol
    role = _entitled(protocol, allocation=sees_allocation)[0]
    sign_in = next(s for s in module_demo.sign_ins if s.role == role)
    as_of = (clock.today() - dt.timedelta(days=20)).isoformat()
    client = client_for(module_demo, role)
    page = client.get(f"/analysis/?as_of={as_of}")
    assert page.status_code == 200 and f'value="{as_of}"' in page.content.decode()
    out = tmp_path / "cli"
    assert main(["analyze", "--out", str(out), "--quiet", "--as-of", as_of,
                 "--user", sign_in.username, "--role", role]) == 0
    capsys.readouterr()
    written = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    links = _links(page.content)
    downloaded = {}
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        name = link.split("/analysis/files/", 1)[1].split("?", 1)[0]
        downloaded[name] = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(downloaded.pop("all.zip")))
    assert sorted(archive.namelist()) == sorted(written)
    assert set(downloaded) == set(written)
    for name, data in written.items():
        assert downloaded[name] == data, name
        assert archive.read(name) == data, name
    assert json.loads(written["manifest.json"])["stamp"]["as_of"] == as_of


def test_a_download_is_recorded_as_data_leaving_the_system(trial, module_demo):
    role = _entitled(trial.protocol)[0]
    client = client_for(module_demo, role)
    before = AuditEvent.objects.filter(action="export_data").count()
    link = next(link for link in _links(client.get("/analysis/").content)
                if "results.json" in link)
    response = client.get(link)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    event = AuditEvent.objects.filter(action="export_data").order_by("-sequence").first()
    assert AuditEvent.objects.filter(action="export_data").count() == before + 1
    assert event.new["export"] == "analysis results.json" and event.actor_role == role


def test_a_role_that_neither_exports_nor_reviews_safety_is_refused(trial, module_demo):
    protocol = trial.protocol
    outsider = next(r.id for r in protocol.roles if not set(ANALYSIS) & set(r.can)
                    and r.id in {s.role for s in module_demo.sign_ins})
    client = client_for(module_demo, outsider)
    assert client.get("/analysis/").status_code == 403
    assert client.get("/analysis/files/results.json").status_code == 403
    assert client.get("/analysis/files/all.zip").status_code == 403
    assert 'href="/analysis/"' not in client.get("/").content.decode()


def test_an_entitled_role_finds_the_page_in_its_navigation(trial, module_demo):
    role = _entitled(trial.protocol)[0]
    assert 'href="/analysis/"' in client_for(module_demo, role).get("/").content.decode()


def test_a_date_to_come_is_refused_and_an_unknown_output_is_not_found(trial, module_demo):
    role = _entitled(trial.protocol)[0]
    client = client_for(module_demo, role)
    later = (clock.today() + dt.timedelta(days=3)).isoformat()
    page = client.get(f"/analysis/?as_of={later}")
    assert page.status_code == 200 and "As-of date" in page.content.decode()
    assert client.get(f"/analysis/files/results.json?as_of={later}").status_code == 400
    assert client.get("/analysis/files/../settings.py").status_code == 404
    assert client.get("/analysis/files/datasets/nothing.json").status_code == 404


def test_the_same_data_are_computed_once(trial, module_demo, settings):
    role = _entitled(trial.protocol)[0]
    client = client_for(module_demo, role)
    client.get("/analysis/")
    cache = Path(settings.VAR_DIR) / "analysis-cache"
    made = sorted(p.name for p in cache.iterdir())
    client.get("/analysis/")
    assert sorted(p.name for p in cache.iterdir()) == made and len(made) == 1


def test_the_analysis_read_on_a_chinese_page_is_the_protocols_own(trial, module_demo):
    """Analyses are computed from the protocol as written: a page in another language reads
    the same outputs (once the Chinese page computed them from the translated protocol, with
    translated labels and stamped with a protocol version that does not exist)."""
    role = _entitled(trial.protocol)[0]
    client = client_for(module_demo, role)
    as_of = clock.today().isoformat()
    english = client.get(f"/analysis/files/all.zip?as_of={as_of}")
    client.cookies["trialkit_language"] = "zh-hant"
    chinese = client.get(f"/analysis/files/all.zip?as_of={as_of}")
    assert english.status_code == chinese.status_code == 200
    assert b"".join(chinese.streaming_content) == b"".join(english.streaming_content)
    manifest = json.loads(client.get(
        f"/analysis/files/manifest.json?as_of={as_of}").getvalue())
    current = Study.objects.get(is_current=True)
    assert manifest["stamp"]["protocol_version"] == current.protocol_version
