"""Every page, as every role reads it, shows words: no Python repr and no identifier of the
software's own vocabularies (an audit action, a permission, a kind of unblinded information,
an eligibility result).

People who tried the pages read ``Site: <QuerySet [<Site: Site object (1)>]>`` in a header and
``visit_out_of_window`` and ``not_met`` as statuses. The crawl walks the page URLconf (as the
blinding crawls do, so a new page is read without an edit here) for one participant of each
status, and reads what a person sees: the text outside tags, scripts, styles and form controls.

The same crawl in Traditional Chinese fails on a page that breaks in that language and on an
English sentence of the interface that reaches a Chinese page untranslated (a string marked in
one place but rendered around the catalogue, e.g. one translated once at import time).

Not yet asserted (docs/how-to/show-codes-in-words.md, "Known gaps"): the protocol's own ids
(item ids, code-list codes, role ids) where texts quote them, and terminology codes.
"""

from __future__ import annotations

import html
import re
import typing

import pytest
from django.db.models import Count
from django.urls import resolve

from tests.conftest import ROOT
from tests.integration.pages.page_urls import urls_about
from tests.integration.pages.support import client_for
from trialkit.core.protocol.roles import BlindedInformation, Permission
from trialkit.web.trial.actions.vocabulary import AuditAction
from trialkit.web.trial.models import Notification, Participant, Signature

pytestmark = [pytest.mark.protocols(), pytest.mark.xdist_group("raw_code_crawl")]

# ("None", "True" and "False" are not looked for: "None." is how a page says a list is empty,
# and "Action taken: None" a decode.)
REPRS = re.compile(r"<QuerySet|<\w+: |\bobject \(\d+\)|object at 0x|\[\[|\[\(|\{'|\{\"|"
                   r"Decimal\(|datetime\.")
FORM_FIELDS = re.compile(r"<(script|style|textarea|select|option)\b.*?</\1>", re.S)


def visible(body: bytes) -> str:
    """What a reader sees of an HTML page, in its own case; a control's value is the user's."""
    text = FORM_FIELDS.sub(" ", body.decode())
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def software_codes() -> set[str]:
    """Identifiers of the software's own vocabularies, which every page puts in words: audit
    actions, permissions, kinds of unblinded information and eligibility results."""
    codes: set[str] = {str(a.value) for a in AuditAction}
    codes |= set(typing.get_args(Permission)) | set(typing.get_args(BlindedInformation))
    codes |= {"not_met", "unknown_data", "needs_judgement", "not_eligible",
              "visit_out_of_window", "visit_missed"}
    return {c for c in codes if "_" in c}


def shown_codes(text: str, codes: set[str]) -> set[str]:
    tokens = set(re.findall(r"(?<![\w./-])[A-Za-z][\w]*(?![\w/-])", text))
    return tokens & codes


def crawled_participants() -> list[Participant]:
    """One participant of each status: each renders its pages in its own way."""
    chosen: dict[str, Participant] = {}
    for participant in Participant.objects.order_by("pk"):
        chosen.setdefault(participant.status, participant)
    return list(chosen.values())


def test_no_page_shows_a_python_repr_or_a_software_code(trial, module_demo):
    codes = software_codes()
    urls = sorted(set(urls_about(crawled_participants())))
    found: dict[str, set[str]] = {}
    for sign_in in module_demo.sign_ins:
        client = client_for(module_demo, sign_in.role)
        for url in urls:
            page = client.get(url)
            if page.status_code != 200 or not page["Content-Type"].startswith("text/html"):
                continue
            text = visible(page.content)
            problems = {f"repr {m.group(0)!r}" for m in REPRS.finditer(text)}
            problems |= {f"code {c!r}" for c in shown_codes(text, codes)}
            if problems:
                found.setdefault(url, set()).update(f"{sign_in.role}: {p}" for p in problems)
    assert found == {}, "\n".join(f"{url}: {sorted(p)}" for url, p in sorted(found.items()))


# Pages that show a document made in the protocol's language (ADR 0019): the analysis report
# (the `trialkit analyze` output) and a committee report as it was produced and signed.
ENGLISH_DOCUMENTS = {"analysis", "smc_report_html"}
CATALOGUE = ROOT / "src" / "trialkit" / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"


def interface_sentences(protocol_words: str) -> set[str]:
    """English runs of three words or more from the interface's catalogue (split at its
    placeholders), leaving out any the protocol itself says (its words are not the
    interface's, and an English-only protocol is shown in English)."""
    sentences: set[str] = set()
    for msgid in re.findall(r'^msgid "(.+)"$', CATALOGUE.read_text(encoding="utf-8"), re.M):
        for run in re.split(r"%\(\w+\)[sd]|%[sd]|\\n", msgid.replace('\\"', '"')):
            run = run.strip(" .,:;·()")
            if len(re.findall(r"[A-Za-z]+", run)) >= 3 and run not in protocol_words:
                sentences.add(run)
    return sentences


def test_a_chinese_page_shows_no_english_sentence_of_the_interface(trial, module_demo):
    from trialkit.web.trial.study import current_study

    protocol_words = current_study().protocol_text
    sentences = interface_sentences(protocol_words)
    assert sentences, "the catalogue holds no sentence to look for"
    # One participant, the one furthest on (its pages hold the most): the English crawl above
    # covers each status; this one is about the interface's words, which are the same.
    furthest = Participant.objects.annotate(records=Count("forms")).order_by(
        "-records", "pk").first()
    urls = [url for url in sorted(set(urls_about([furthest] if furthest else [])))
            if resolve(url).url_name not in ENGLISH_DOCUMENTS]
    # What people stored (a signature's meaning, a notification) reads as it was written.
    stored = [text for text in (*Signature.objects.values_list("meaning", flat=True),
                                *Notification.objects.values_list("subject", flat=True),
                                *Notification.objects.values_list("body", flat=True)) if text]
    found: dict[str, set[str]] = {}
    for sign_in in module_demo.sign_ins:
        client = client_for(module_demo, sign_in.role)
        client.cookies["trialkit_language"] = "zh-hant"
        for url in urls:
            page = client.get(url)
            if page.status_code >= 500:
                found.setdefault(url, set()).add(f"{sign_in.role}: status {page.status_code}")
            if page.status_code != 200 or not page["Content-Type"].startswith("text/html"):
                continue
            text = visible(page.content)
            for words in stored:
                text = text.replace(re.sub(r"\s+", " ", words), " ")
            english = {s for s in sentences if s in text}
            if english:
                found.setdefault(url, set()).update(f"{sign_in.role}: {s!r}" for s in english)
    assert found == {}, "\n".join(f"{url}: {sorted(p)}" for url, p in sorted(found.items()))
