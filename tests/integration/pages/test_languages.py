"""Pages in the person's language; the protocol's words in that language where it carries
them; the API and every stored record in the protocol's own words, whoever acted.

The protocol under test is each protocol of protocols/ with a Traditional Chinese block added in
the test, built from its own ids (so it holds on every protocol, translated or not)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.test import Client
from django.utils import translation

from tests.integration.conftest import PASSWORD
from tests.integration.pages.support import signed_in, text_of
from trialkit.core.protocol import load_protocol

pytestmark = pytest.mark.protocols()

MARK = "譯"  # prefixed to every translated word, so a test can tell them from the originals


def _with_translation(source: Path, folder: Path) -> Path:
    """A copy of the protocol file whose zh-Hant block renames every form, visit and role."""
    protocol = load_protocol(source)
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["translations"] = [{
        "language": "zh-Hant",
        "forms": {form.id: f"{MARK}{form.name}" for form in protocol.forms},
        "visits": {visit.id: f"{MARK}{visit.name}" for visit in protocol.schedule.visits},
        "roles": {role.id: f"{MARK}{role.name}" for role in protocol.roles},
    }]
    path = folder / source.name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def translated_study(db, trial, tmp_path):
    from trialkit.web.trial.actions.study import do_load_protocol

    return do_load_protocol(_with_translation(trial.path, tmp_path), actor=None)


@pytest.fixture
def person(translated_study, trial):
    from tests.accounts_support import grant
    from trialkit.web.trial.actions.accounts import do_create_user, do_grant_role
    from trialkit.web.trial.actions.base import actor_for

    admin_user = do_create_user("admin", PASSWORD, "Ada Admin", actor=None)
    do_grant_role(admin_user, trial.administrator, None, actor=None)
    admin = actor_for(admin_user, trial.administrator)
    user = do_create_user("dm", PASSWORD, "Dee Manager", actor=admin)
    scoped = admin.protocol().role(trial.data_manager).site_scoped
    grant(user, trial.data_manager, trial.site if scoped else None, admin=admin)
    return actor_for(user, trial.data_manager)


def _in_chinese(client: Client) -> Client:
    client.cookies["trialkit_language"] = "zh-hant"
    return client


def test_a_page_speaks_the_language_the_person_chose(person):
    client = signed_in(person.name, PASSWORD)
    english = client.get("/")
    assert '<html lang="en">' in english.content.decode()
    answer = client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    assert answer.status_code == 302 and answer.cookies["trialkit_language"].value == "zh-hant"
    chinese = client.get("/")
    body = chinese.content.decode()
    assert '<html lang="zh-hant">' in body
    assert "登出" in body and "Sign out" not in body
    assert chinese["Content-Language"] == "zh-hant"


def test_a_browser_asking_for_taiwanese_chinese_gets_traditional_chinese(translated_study):
    body = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="zh-TW,zh;q=0.9,en;q=0.5")
    assert '<html lang="zh-hant">' in body.content.decode()
    assert '<html lang="en">' in Client().get("/login/").content.decode()


def test_an_unknown_language_falls_back_to_english(person):
    client = signed_in(person.name, PASSWORD)
    client.cookies["trialkit_language"] = "xx"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_pages_name_forms_visits_and_roles_in_the_protocols_translation(person, trial):
    protocol = person.protocol()
    role_name = protocol.role(trial.data_manager).name.lower()  # text_of reads lower case
    client = signed_in(person.name, PASSWORD)
    english = text_of(client.get("/").content)
    assert role_name in english and f"{MARK}{role_name}" not in english
    chinese = text_of(_in_chinese(client).get("/").content)
    assert f"{MARK}{role_name}" in chinese


def test_the_api_answers_in_the_protocols_own_words_whatever_the_browser_asks(person):
    client = _in_chinese(signed_in(person.name, PASSWORD))
    answer = client.get("/api/study/protocol", HTTP_ACCEPT_LANGUAGE="zh-TW")
    assert answer.status_code == 200, answer.content
    assert MARK not in answer.content.decode()
    assert answer["Content-Language"] == "en"


def test_an_action_reads_the_protocol_in_its_own_words_when_a_chinese_page_calls_it(person):
    """What an action stores never depends on the language of the person who acted."""
    from trialkit.web.trial.actions import kernel
    from trialkit.web.trial.actions.kernel import record
    from trialkit.web.trial.actions.vocabulary import AuditAction

    seen: list[str] = []

    @kernel.action(AuditAction.LOAD_PROTOCOL)
    def _look(*, actor) -> None:
        seen.append(actor.protocol().forms[0].name)
        record(actor, AuditAction.LOAD_PROTOCOL, actor.study)

    try:
        with translation.override("zh-hant"):
            assert person.protocol().forms[0].name.startswith(MARK)  # a page would read this
            _look(actor=person)
    finally:
        kernel.ACTIONS.pop(_look.action_spec.function)  # type: ignore[attr-defined]
    assert seen and not seen[0].startswith(MARK)
