"""The related-trials page (/registry/related/), on every protocol: the study's registry
neighbours from the configured corpus folder with the reasons, for the roles that see the
whole study (the sponsor among them); refused to a site's roles; a clear empty state when no
corpus is configured.
"""

from __future__ import annotations

import shutil

import pytest
from django.core.cache import cache

from tests.conftest import FIXTURES, REFERENCE_PROTOCOL
from tests.integration.pages.support import client_for, text_of
from trialkit.interop.ctgov.related import rank, read_corpus, trial_from_protocol
from trialkit.web.pages.views_related import CORPUS_SETTING, DEFAULT_FOLDER

pytestmark = pytest.mark.protocols()
CORPUS = FIXTURES / "registry-corpus"
URL = "/registry/related/"


def _roles(trial, demo, *, study_wide: bool) -> list[str]:
    signed = {s.role for s in demo.sign_ins}
    return [r.id for r in trial.protocol.roles
            if r.id in signed and r.site_scoped is not study_wide]


@pytest.fixture
def corpus(settings):
    cache.clear()
    settings.TRIALKIT_REGISTRY_CORPUS = str(CORPUS)
    return CORPUS


def test_every_study_wide_role_sees_the_ranking_with_its_reasons(trial, module_demo, corpus):
    expected = rank(trial_from_protocol(trial.protocol, "protocol"), read_corpus(corpus).trials)
    roles = _roles(trial, module_demo, study_wide=True)
    assert roles
    for role in roles:
        client = client_for(module_demo, role)
        assert f'href="{URL}"'.encode() in client.get("/").content, role
        response = client.get(URL)
        assert response.status_code == 200, role
        text = text_of(response.content)
        shown = [r.trial.ident.lower() for r in expected]
        assert sorted(shown, key=text.index) == shown, role  # in the ranking's order
        assert "5 records read" in text and "title and summary words" in text


def test_the_first_study_wide_role_sees_why_each_trial_ranks_where_it_does(
        trial, module_demo, corpus):
    """The shared conditions and interventions of every ranked record are on the page (which
    records rank first for the multiple sclerosis trial is tests/unit/interop's business)."""
    expected = rank(trial_from_protocol(trial.protocol, "protocol"), read_corpus(corpus).trials)
    role = _roles(trial, module_demo, study_wide=True)[0]
    text = text_of(client_for(module_demo, role).get(URL).content)
    rows = text[text.index("title and summary words"):]  # text_of is lower case
    for related in expected:
        for term in (*related.conditions.shared, *related.interventions.shared):
            assert term.lower() in rows, (related.trial.ident, term)
    if trial.path == REFERENCE_PROTOCOL:  # the MS corpus records share its condition
        assert "multiple sclerosis" in rows


def test_a_sites_roles_are_refused_and_not_offered_the_page(trial, module_demo, corpus):
    roles = _roles(trial, module_demo, study_wide=False)
    assert roles
    for role in roles:
        client = client_for(module_demo, role)
        response = client.get(URL)
        assert response.status_code == 403, role
        assert "nct04047628" not in text_of(response.content)
        assert f'href="{URL}"'.encode() not in client.get("/").content, role


def test_without_a_corpus_the_page_says_how_to_configure_one(trial, module_demo, settings,
                                                              monkeypatch):
    monkeypatch.delenv(CORPUS_SETTING, raising=False)
    settings.TRIALKIT_REGISTRY_CORPUS = ""
    role = _roles(trial, module_demo, study_wide=True)[0]
    response = client_for(module_demo, role).get(URL)
    text = text_of(response.content)
    assert response.status_code == 200
    assert "no registry corpus is configured" in text and CORPUS_SETTING.lower() in text
    assert "title and summary words" not in text


def test_the_local_state_folder_serves_as_the_default_corpus_and_bad_files_are_named(
        trial, module_demo, settings, monkeypatch):
    cache.clear()
    monkeypatch.delenv(CORPUS_SETTING, raising=False)
    settings.TRIALKIT_REGISTRY_CORPUS = ""
    folder = settings.VAR_DIR / DEFAULT_FOLDER
    shutil.copytree(CORPUS, folder, dirs_exist_ok=True)
    try:
        (folder / "broken.json").write_text("{not json", encoding="utf-8")
        role = _roles(trial, module_demo, study_wide=True)[0]
        text = text_of(client_for(module_demo, role).get(URL).content)
        assert "5 records read" in text and "nct04047628" in text
        assert "files not read" in text and "broken.json : not valid json" in text
    finally:
        shutil.rmtree(folder)


def test_a_configured_path_that_is_not_a_folder_is_said_plainly(trial, module_demo, settings,
                                                                 tmp_path):
    settings.TRIALKIT_REGISTRY_CORPUS = str(tmp_path / "missing")
    role = _roles(trial, module_demo, study_wide=True)[0]
    text = text_of(client_for(module_demo, role).get(URL).content)
    assert "not a folder on the server" in text and str(tmp_path).lower() not in text
