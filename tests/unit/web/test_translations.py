"""Every string of the user interface is marked for translation and translated.

Three checks, each failing on the defect it names:
- a template shows no words outside ``{% translate %}`` / ``{% blocktranslate %}``: visible
  text and the attributes people read (title, aria-label, placeholder, alt);
- the Traditional Chinese catalogue translates every string the sources mark (extracted from the
  sources by Django's ``makemessages``, so a newly marked string without a translation fails),
  with no fuzzy entry and the placeholders intact (``msgfmt --check``);
- the compiled catalogue that ships is the one the ``.po`` file compiles to.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "trialkit"
TEMPLATES = sorted((PACKAGE / "web" / "pages" / "templates").rglob("*.html"))
# One catalogue for the package: the pages' strings and core's gettext_noop sentences.
CATALOGUE = PACKAGE / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "aria-description"}
# Words that are the same in every language: the product's name.
UNTRANSLATED_WORDS = {"trialkit"}
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")

_TRANSLATED_BLOCK = re.compile(
    r"{%\s*blocktranslate\b.*?%}.*?{%\s*endblocktranslate\s*%}", re.S)
_TRANSLATE_TAG = re.compile(r"{%\s*translate\b.*?%}", re.S)
_TAG_OR_VARIABLE = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.S)
_COMMENT_BLOCK = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S)


class _Reader(HTMLParser):
    """Collects what a person reads: text outside script and style, and read attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.read: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._hidden += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.read.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.read.append(data)


def untranslated_words(source: str) -> list[str]:
    """The words a template shows that no translation tag covers."""
    without = _COMMENT_BLOCK.sub(" ", source)
    without = _TRANSLATED_BLOCK.sub(" ", without)
    without = _TRANSLATE_TAG.sub(" ", without)
    without = _TAG_OR_VARIABLE.sub(" ", without)
    reader = _Reader()
    reader.feed(without)
    return [word for text in reader.read for word in WORD.findall(text)
            if word.lower() not in UNTRANSLATED_WORDS]


def test_the_lint_finds_an_unmarked_word_and_accepts_marked_ones() -> None:
    assert untranslated_words("<p>Save</p>") == ["Save"]
    assert untranslated_words('<a title="Open the form">x</a>') == ["Open", "the", "form"]
    assert untranslated_words('<p>{% translate "Save" %}</p>') == []
    assert untranslated_words(
        "<p>{% blocktranslate with n=count %}{{ n }} forms{% endblocktranslate %}</p>") == []
    assert untranslated_words("<p>{{ form.name }} · {% if a %}{{ b }}{% endif %}</p>") == []
    assert untranslated_words("<script>const words = 1;</script>") == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_a_template_marks_every_word_it_shows(template: Path) -> None:
    assert untranslated_words(template.read_text(encoding="utf-8")) == [], (
        f"{template.name} shows words outside {{% translate %}}: wrap them "
        "(docs/how-to/translate.md)")


def _entries(po: Path) -> dict[str, tuple[str, bool]]:
    """msgid (with its context, as ``ctx\\x04id``) -> (msgstr, fuzzy), from a .po file."""
    entries: dict[str, tuple[str, bool]] = {}
    blocks = po.read_text(encoding="utf-8").split("\n\n")
    for block in blocks:
        lines = [line for line in block.splitlines() if line and not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, str] = {}
        current = ""
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = _unquote(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += _unquote(line[1:-1])
        if "msgid" not in fields or fields["msgid"] == "":
            continue
        key = fields["msgid"] if "msgctxt" not in fields else (
            f"{fields['msgctxt']}\x04{fields['msgid']}")
        translation = fields.get("msgstr", fields.get("msgstr[0]", ""))
        entries[key] = (translation, fuzzy)
    return entries


def _unquote(text: str) -> str:
    return text.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, bool]]:
    """The strings the sources mark today, extracted by makemessages from a copy of the tree."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is missing: apt-get install gettext (.ci/services.sh does)")
    copy = tmp_path_factory.mktemp("messages") / "trialkit"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    (copy / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po").unlink(missing_ok=True)
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run([str(Path(sys.executable).parent / "django-admin"), "makemessages",
                    "-l", "zh_Hant", "--no-location", "--no-obsolete"],
                   cwd=copy, env=environment, check=True, capture_output=True)
    return _entries(copy / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po")


def test_every_marked_string_has_a_traditional_chinese_translation(
        extracted: dict[str, tuple[str, bool]]) -> None:
    catalogue = _entries(CATALOGUE)
    missing = sorted(msgid for msgid in extracted
                     if not catalogue.get(msgid, ("", False))[0])
    fuzzy = sorted(msgid for msgid, (_, is_fuzzy) in catalogue.items()
                   if is_fuzzy and msgid in extracted)
    assert missing == [], f"{len(missing)} strings lack a translation (make messages): {missing[:20]}"
    assert fuzzy == [], f"fuzzy translations to review: {fuzzy[:20]}"


def test_the_catalogue_compiles_with_its_placeholders_intact(tmp_path: Path) -> None:
    if shutil.which("msgfmt") is None:
        pytest.fail("GNU gettext is missing: apt-get install gettext (.ci/services.sh does)")
    result = subprocess.run(["msgfmt", "--check", "-o", str(tmp_path / "check.mo"),
                             str(CATALOGUE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_shipped_compiled_catalogue_is_the_one_the_po_file_compiles_to(tmp_path: Path) -> None:
    if shutil.which("msgfmt") is None:
        pytest.fail("GNU gettext is missing: apt-get install gettext (.ci/services.sh does)")
    fresh = tmp_path / "fresh.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(CATALOGUE)], check=True)
    with COMPILED.open("rb") as shipped, fresh.open("rb") as compiled:
        assert (gettext.GNUTranslations(shipped)._catalog  # type: ignore[attr-defined]
                == gettext.GNUTranslations(compiled)._catalog), (  # type: ignore[attr-defined]
            "django.mo is stale: run make messages")
