"""A protocol's translations (translations.py), on every protocol in protocols/.

A translation built here from the protocol's own ids changes the words of ``in_language`` and
nothing else; a key the protocol does not have, a kind of word that is not translatable and a
language translated twice are refused when the file is loaded; a language the protocol does
not carry gives the protocol itself; tags compare case-insensitively; and a translation the
protocol carries is complete.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.conftest import REFERENCE_PROTOCOL
from tests.protocol_cases import TrialCase
from trialkit.core.protocol import Protocol, ProtocolError, load_protocol, validate_protocol
from trialkit.core.protocol.translations import in_language, same_language, untranslated

pytestmark = pytest.mark.protocols()

KINDS = ("forms", "items", "codelists", "visits", "criteria", "roles", "role_descriptions",
         "workspaces", "parts", "periods",
         "administrations", "arms", "checks", "value_sets", "tables")
TEST_LANGUAGE = "qaa-test"  # ISO 639-2 reserves qaa-qtz for local use: no protocol carries it


def _keys(protocol: Protocol) -> dict[str, list[str]]:
    """Every translatable key of the protocol, by kind, read from the protocol's own ids."""
    return {
        "forms": [form.id for form in protocol.forms],
        "items": [f"{form.id}.{item.id}" for form in protocol.forms for item in form.items],
        "codelists": [f"{codelist.id}.{entry.code}" for codelist in protocol.codelists
                      for entry in codelist.items],
        "visits": [visit.id for visit in protocol.schedule.visits],
        "criteria": [criterion.id for criterion in protocol.eligibility.criteria],
        "roles": [role.id for role in protocol.roles],
        "role_descriptions": [role.id for role in protocol.roles],
        "workspaces": [role.id for role in protocol.roles if role.workspace],
        "parts": [part.id for part in protocol.design.parts],
        "periods": [period.id for part in protocol.design.parts for period in part.periods],
        "administrations": [adm.id for adm in protocol.design.administrations],
        "arms": [arm.id for arm in protocol.design.arms],
        "checks": [f"{form.id}.{check.id}" for form in protocol.forms for check in form.checks],
        "value_sets": [vs.id for vs in protocol.value_sets],
        "tables": [table.id for table in protocol.record.tables],
    }


def _word(kind: str, key: str) -> str:
    return f"⟦{kind} {key}⟧"


def _block(protocol: Protocol, language: str = TEST_LANGUAGE) -> dict[str, Any]:
    return {"language": language, **{kind: {key: _word(kind, key) for key in keys}
                                     for kind, keys in _keys(protocol).items()}}


def _data(trial: TrialCase) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(trial.path.read_text(encoding="utf-8"))
    return data


def _with(trial: TrialCase, *blocks: dict[str, Any]) -> dict[str, Any]:
    """The protocol file's data with ``blocks`` after the translations it carries."""
    data = _data(trial)
    data["translations"] = [*data.get("translations", []), *blocks]
    return data


def _refused(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ProtocolError) as caught:
        validate_protocol(data, source="translated.yaml")
    return [(p.dotted_path(), p.message) for p in caught.value.problems]


def _words(dump: dict[str, Any]) -> dict[tuple[str, str], str]:
    """The words of a model dump, by kind and key (what a translation may change)."""
    words: dict[tuple[str, str], str] = {}
    for form in dump["forms"]:
        words["forms", form["id"]] = form["name"]
        for item in form["items"]:
            words["items", f"{form['id']}.{item['id']}"] = item["label"]
        for check in form["checks"]:
            words["checks", f"{form['id']}.{check['id']}"] = check["message"]
    for codelist in dump["codelists"]:
        for entry in codelist["items"]:
            words["codelists", f"{codelist['id']}.{entry['code']}"] = entry["decode"]
    for visit in dump["schedule"]["visits"]:
        words["visits", visit["id"]] = visit["name"]
    for criterion in dump["eligibility"]["criteria"]:
        words["criteria", criterion["id"]] = criterion["text"]
    for role in dump["roles"]:
        words["roles", role["id"]] = role["name"]
        words["role_descriptions", role["id"]] = role["description"]
        if role["workspace"]:
            words["workspaces", role["id"]] = role["workspace"]
    for part in dump["design"]["parts"]:
        words["parts", part["id"]] = part["name"]
        for period in part["periods"]:
            words["periods", period["id"]] = period["name"]
    for adm in dump["design"]["administrations"]:
        words["administrations", adm["id"]] = adm["name"]
    for arm in dump["design"]["arms"]:
        words["arms", arm["id"]] = arm["label"]
    for vs in dump["value_sets"]:
        words["value_sets", vs["id"]] = vs["description"]
    for table in dump["record"]["tables"]:
        words["tables", table["id"]] = table["noun"]
    return words


def _without_words(dump: dict[str, Any]) -> dict[str, Any]:
    """The dump with every translatable word blanked (everything else left as it is)."""
    for form in dump["forms"]:
        form["name"] = None
        for item in form["items"]:
            item["label"] = None
        for check in form["checks"]:
            check["message"] = None
    for codelist in dump["codelists"]:
        for entry in codelist["items"]:
            entry["decode"] = None
    for visit in dump["schedule"]["visits"]:
        visit["name"] = None
    for criterion in dump["eligibility"]["criteria"]:
        criterion["text"] = None
    for role in dump["roles"]:
        role["name"] = role["description"] = role["workspace"] = None
    for part in dump["design"]["parts"]:
        part["name"] = None
        for period in part["periods"]:
            period["name"] = None
    for adm in dump["design"]["administrations"]:
        adm["name"] = None
    for arm in dump["design"]["arms"]:
        arm["label"] = None
    for vs in dump["value_sets"]:
        vs["description"] = None
    for table in dump["record"]["tables"]:
        table["noun"] = None
    return dump


@pytest.fixture(scope="module")
def translated(trial: TrialCase) -> Protocol:
    """The protocol carrying a complete test translation beside its own."""
    return validate_protocol(_with(trial, _block(trial.protocol)))


def test_a_complete_translation_loads_and_is_complete(trial, translated):
    assert untranslated(translated, TEST_LANGUAGE) == {}


def test_in_language_changes_every_word_to_its_translation(trial, translated):
    words = _words(translated.in_language(TEST_LANGUAGE).model_dump())
    expected = {(kind, key): _word(kind, key)
                for kind, keys in _keys(trial.protocol).items() for key in keys}
    assert words == expected


def test_in_language_changes_nothing_but_the_words(trial, translated):
    shown = in_language(translated, TEST_LANGUAGE)
    assert _without_words(shown.model_dump()) == _without_words(translated.model_dump())
    assert _keys(shown) == _keys(trial.protocol)
    assert [c.rule for c in shown.eligibility.criteria] == [
        c.rule for c in trial.protocol.eligibility.criteria]
    assert shown.translations == translated.translations


def test_carrying_a_translation_changes_nothing_the_protocol_itself_says(trial, translated):
    without = translated.model_dump(exclude={"translations"})
    assert without == trial.protocol.model_dump(exclude={"translations"})


def test_a_partial_translation_keeps_the_original_words_it_does_not_give(trial):
    protocol = trial.protocol
    form, criterion = protocol.forms[0], protocol.eligibility.criteria[0]
    partial = validate_protocol(_with(trial, {"language": TEST_LANGUAGE,
                                              "forms": {form.id: "⟦one form⟧"},
                                              "criteria": {criterion.id: "⟦one criterion⟧"}}))
    shown = partial.in_language(TEST_LANGUAGE)
    changed = {key for key, word in _words(shown.model_dump()).items()
               if word != _words(protocol.model_dump())[key]}
    assert changed == {("forms", form.id), ("criteria", criterion.id)}
    assert untranslated(partial, TEST_LANGUAGE) == {
        kind: sorted(set(keys) - {form.id, criterion.id})
        for kind, keys in _keys(protocol).items()
        if set(keys) - {form.id, criterion.id}}


@pytest.mark.parametrize("kind", KINDS)
def test_a_key_the_protocol_does_not_have_is_refused_with_its_path(trial, kind):
    block = _block(trial.protocol)
    block[kind]["NO_SUCH.id"] = "⟦nothing⟧"
    index = len(_data(trial).get("translations", []))
    problems = _refused(_with(trial, block))
    assert len(problems) == 1
    [(path, message)] = problems
    assert path == f"translations[{index}].{kind}.NO_SUCH.id"
    assert "'NO_SUCH.id'" in message and "to translate" in message


def test_a_kind_of_word_that_is_not_translatable_is_refused_with_its_path(trial):
    # Endpoints are read in the protocol's language: analyses and exports quote them as approved.
    block = {**_block(trial.protocol), "endpoints": {endpoint.id: "⟦endpoint⟧"
                                                     for endpoint in trial.protocol.endpoints}}
    index = len(_data(trial).get("translations", []))
    paths = [path for path, _ in _refused(_with(trial, block))]
    assert paths == [f"translations[{index}].endpoints"]


def test_a_language_that_is_not_a_tag_is_refused(trial):
    paths = [path for path, _ in _refused(_with(trial, {"language": "Traditional Chinese"}))]
    index = len(_data(trial).get("translations", []))
    assert paths == [f"translations[{index}].language"]


@pytest.mark.parametrize("again", [TEST_LANGUAGE, "qaa-TEST"])
def test_a_language_translated_twice_is_refused(trial, again):
    index = len(_data(trial).get("translations", []))
    problems = _refused(_with(trial, _block(trial.protocol), {"language": again}))
    assert problems == [(f"translations[{index + 1}].language",
                         f"language '{again}' is translated twice")]


def test_a_language_not_carried_gives_the_protocol_itself(trial, translated):
    assert in_language(trial.protocol, TEST_LANGUAGE) is trial.protocol
    assert translated.in_language("qab") is translated
    assert untranslated(trial.protocol, TEST_LANGUAGE) == {
        kind: sorted(keys) for kind, keys in _keys(trial.protocol).items() if keys}


@pytest.mark.parametrize("tag", [TEST_LANGUAGE.upper(), "Qaa-Test", "qaa-TEST"])
def test_language_tags_compare_case_insensitively(translated, tag):
    assert same_language(tag, TEST_LANGUAGE)
    assert translated.in_language(tag) == translated.in_language(TEST_LANGUAGE)
    assert translated.in_language(tag) != translated
    assert untranslated(translated, tag) == {}


def test_different_languages_are_not_the_same():
    assert not same_language("zh-Hant", "zh-Hans")
    assert not same_language("zh", "zh-Hant")


def test_every_translation_a_protocol_carries_is_complete(trial):
    for translation in trial.protocol.translations:
        assert untranslated(trial.protocol, translation.language) == {}, translation.language


def test_every_translation_a_protocol_carries_gives_every_word_a_new_text(trial):
    """A translation of a complete protocol changes words; none is copied over empty."""
    for translation in trial.protocol.translations:
        for kind in KINDS:
            assert all(word.strip() for word in getattr(translation, kind).values()), kind


def test_the_reference_protocol_speaks_its_sites_language():
    """NCT05532943 runs at one site in Taichung: its words are in Traditional Chinese too."""
    protocol = load_protocol(REFERENCE_PROTOCOL)
    assert [t.language for t in protocol.translations] == ["zh-Hant"]
    assert untranslated(protocol, "zh-Hant") == {}
    shown = protocol.in_language("zh-hant")
    assert shown.form("AE").name == "不良事件"
    assert shown.visit("SCR").name == "篩選"
