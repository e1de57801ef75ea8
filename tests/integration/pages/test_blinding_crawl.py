"""No blinded role learns an allocation from any page, on every protocol, directly or by
comparing what it is shown.

The trial is tests/integration/pages/blinding_world.py's: the protocol's demo (both arms, the
real and the sham or absent procedure, adverse events, queries, signatures) at the first site,
an emergency unblinding there, and a second site with twins — participants identical in
everything but their arm. Every page is found from the URLconf (page_urls.py) and every form a
page offers is found in the pages themselves, so new ones are crawled without edits here.

Three checks, for every blinded role (a role that sees neither allocation, preparation nor
procedure type):
- literal: no arm or sequence id or label, preparation text, ``real`` / ``sham``, or number or
  kit code of an unallocated slot on any page (public protocol text removed first: it names
  the design, not anybody's allocation);
- differential: each page about the twin in one arm, its identifiers paired with the other
  twin's, says word for word what the same page says about the other twin;
- the same for the answers to every form the pages offer any role (refused or not): a refusal
  reads the same for both twins and names no arm.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages

from tests.functional.blinding import (
    counterparts,
    created_rows,
    text_differences,
    with_created,
)
from tests.integration.pages.blinding_world import World, build_world
from tests.integration.pages.page_urls import urls_about
from tests.integration.pages.support import (
    client_for,
    randomize_the_waiting_candidate,
    readable,
    text_of,
)
from tests.protocol_cases import allocation_secrets, analysis_texts, public_texts
from trialkit.core.protocol import Protocol
from trialkit.web.trial.models import Participant, RandomizationSlot, Unblinding

pytestmark = pytest.mark.protocols("randomized")


@pytest.fixture(scope="module", autouse=True)
def _analysis_cache(tmp_path_factory):
    """The analysis page's cache (under VAR_DIR) in the test's own folder."""
    from django.test.utils import override_settings

    with override_settings(VAR_DIR=tmp_path_factory.mktemp("var")):
        yield


@pytest.fixture(scope="module")
def world(module_demo, trial, django_db_blocker) -> World:
    with django_db_blocker.unblock():
        return build_world(module_demo, trial.path, trial.protocol)


def concealed(protocol: Protocol) -> list[re.Pattern[str]]:
    free = RandomizationSlot.objects.filter(participant__isnull=True)
    terms = allocation_secrets(protocol) | {"real", "sham"} | set(
        free.values_list("number", flat=True)) | set(free.values_list("kit_code", flat=True))
    return [re.compile(rf"(?<![\w-]){re.escape(t.lower())}(?![\w-])") for t in terms]


def leaks(body: bytes, patterns: list[re.Pattern[str]], public: list[str]) -> set[str]:
    return _leaks_in(text_of(body), patterns, public)


def _leaks_in(text: str, patterns: list[re.Pattern[str]], public: list[str]) -> set[str]:
    for known in public:
        text = text.replace(known, " ")
    return {p.pattern for p in patterns if p.search(text)}


def _crawled_participants(trial, world: World) -> list[Participant]:
    """At the first site: randomized participants with the most on their pages (events, log
    entries, queries), the one unblinded in an emergency, one with little; one of each other
    part; the candidates."""
    from django.db.models import Q

    protocol = trial.protocol
    here = Participant.objects.filter(site__code=protocol.identity.sites[0].id)
    logs = [f.id for f in protocol.forms if f.kind in ("adverse_event", "event_log")]
    slotted = here.filter(slot__isnull=False)
    randomized = list(slotted.filter(Q(forms__form_id__in=logs)
                                     | Q(forms__queries__isnull=False)).distinct())
    randomized.append(slotted.exclude(pk__in=[p.pk for p in randomized]).first())
    if world.unblinded is not None and world.unblinded not in randomized:
        randomized.append(world.unblinded)
    others = [here.filter(part=part.id).first()
              for part in protocol.design.parts if part.id != protocol.randomization.part]
    return [p for p in [*randomized, *others, *here.filter(part="")] if p]


def test_no_blinded_role_sees_an_allocation_a_preparation_or_a_procedure_type_on_any_page(
        trial, world):
    protocol = trial.protocol
    patterns, public = concealed(protocol), _with_analysis(protocol)
    urls = sorted(set(urls_about(_crawled_participants(trial, world))))
    blinded = world.blinded_roles()
    assert trial.investigator in blinded or not trial.has("blinded")
    assert len(blinded) >= 3 and len(urls) > 50
    found = {}
    for role in blinded:
        client = client_for(world.demo, role)
        for url in urls:
            response = client.get(url)
            assert response.status_code < 500, (role, url)
            hits = leaks(response.content, patterns, public)
            if hits:
                found[(role, url)] = hits
    assert found == {}


def _twin_urls(world: World) -> list[tuple[str, str]]:
    a, b = (sorted(set(urls_about([twin])), key=_url_order) for twin in world.twins)
    assert len(a) == len(b), "the twins have different pages"
    return list(zip(a, b, strict=True))


def _url_order(url: str) -> tuple[str, ...]:
    """Twin pages in the same order for both twins: by the page's shape, ids by creation."""
    return tuple(p.zfill(12) if p.isdigit() else p for p in url.split("/"))


def test_a_blinded_role_is_shown_the_same_about_twins_in_different_arms_on_every_page(
        trial, world):
    protocol = trial.protocol
    patterns, public = concealed(protocol), _with_analysis(protocol)
    twins = counterparts(*world.twins)
    pairs = _twin_urls(world)
    assert len(pairs) > 20
    differing, leaked = {}, {}
    for role in world.blinded_roles():
        client = world.client(role)
        for url_a, url_b in pairs:
            with world.unchanged():
                got_a = client.get(url_a)
            with world.unchanged():
                got_b = got_a if url_b == url_a else client.get(url_b)
            assert got_a.status_code < 500 and got_b.status_code < 500, (role, url_a)
            assert url_a.startswith("/login") or "/login" not in got_a.get("Location", ""), \
                (role, url_a, "signed out")
            text_a, text_b = text_of(got_a.content), text_of(got_b.content)
            found = text_differences(text_a, text_b, twins) if url_a != url_b else \
                _row_differences(readable(got_a.content), world, twins)
            if got_a.status_code != got_b.status_code or found:
                differing[(role, url_a)] = (got_a.status_code, got_b.status_code, found[:3])
            for url, text in ((url_a, text_a), (url_b, text_b)):
                if hits := _leaks_in(text, patterns, public):
                    leaked[(role, url)] = hits
    assert differing == {}
    assert leaked == {}


def _row_differences(html: str, world: World, twins) -> list[tuple[str, str]]:
    """On a page about many participants (a list, the dashboard, the audit trail): the rows
    (table rows, list items) naming one twin against those naming the other, in order."""
    chunks = [text_of(c.encode()) for c in re.findall(
        r"<(tr|li)\b.*?</\1>", html, flags=re.S | re.I) and [
        m.group(0) for m in re.finditer(r"<(tr|li)\b.*?</\1>", html, flags=re.S | re.I)]]
    a, b = ([c for c in chunks if t.screening_number.lower() in c] for t in world.twins)
    paginated = "page=" in html  # the last page shown may cut one twin's rows short
    if len(a) != len(b) and not paginated:
        return [(f"{len(a)} rows", f"{len(b)} rows")]
    return [d for x, y in zip(a, b, strict=False) for d in text_differences(x, y, twins)]


def test_the_differential_check_tells_the_twins_apart_for_a_role_that_knows_the_arm(world):
    """The detector is not blind itself: a role that sees the allocation is shown each twin's
    arm on the participant page, and the performer of an arm-revealing procedure reads what it
    wrote about it."""
    twins = counterparts(*world.twins)
    knowing = [r.id for r in world.protocol.roles if "allocation" in r.sees][:1]
    a, b = world.twins
    pages = [(f"/participants/{a.pk}/", f"/participants/{b.pk}/"), *_revealing_pages(world)]
    seen = []
    for role in [*knowing, *_performers(world)]:
        client = world.client(role)
        for url_a, url_b in pages:
            got_a, got_b = client.get(url_a), client.get(url_b)
            seen += text_differences(text_of(got_a.content), text_of(got_b.content), twins)
    assert seen, "no role that knows the arm was shown anything that differs"


def _performers(world: World) -> list[str]:
    from trialkit.core.protocol.reading import revealing_administrations

    return sorted({a.performed_by for f in world.protocol.forms
                   for a in revealing_administrations(world.protocol, f)})


def _revealing_pages(world: World) -> list[tuple[str, str]]:
    from trialkit.core.protocol.reading import revealing_administrations
    from trialkit.web.trial.models import FormRecord

    forms = [f.id for f in world.protocol.forms
             if revealing_administrations(world.protocol, f)]
    a, b = (list(FormRecord.objects.filter(participant=t, form_id__in=forms).order_by("pk"))
            for t in world.twins)
    return [(f"/forms/{x.pk}/", f"/forms/{y.pk}/") for x, y in zip(a, b, strict=True)]


# -- what the pages' forms answer --------------------------------------------------------------

class _Forms(HTMLParser):
    """The POST forms of a page: (action, [(field name, kind, first value)])."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str, str]]]] = []
        self._open: list[tuple[str, str, str]] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._open = []
            self.found.append((a.get("action", ""), self._open))
        elif self._open is not None and tag in ("input", "textarea") and a.get("name"):
            self._open.append((a["name"], a.get("type", tag), a.get("value", "")))
        elif self._open is not None and tag == "select" and a.get("name"):
            self._select = a["name"]
        elif self._select and tag == "option" and a.get("value"):
            self._open.append((self._select, "select", a["value"]))
            self._select = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None
        elif tag == "select":
            self._select = None


def _post_forms(html: str, page: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    parser = _Forms()
    parser.feed(html)
    return [(action or page, fields) for action, fields in parser.found
            if not (action or page).startswith(("/logout", "/role", "/login"))]


def _neutral(fields: list[tuple[str, str, str]], password: str, today: str
             ) -> dict[str, str]:
    """What a person would type, the same for both twins: never a value copied from a page
    (a page may show the arm to the role that found the form there)."""
    body: dict[str, str] = {}
    for name, kind, first in fields:
        if name in body:
            continue
        if kind == "password":
            body[name] = password
        elif name == "submission":
            body[name] = uuid.uuid4().hex
        elif kind == "select":
            body[name] = first
        elif kind == "date":
            body[name] = today
        elif kind == "datetime-local":
            body[name] = f"{today}T10:00"
        elif kind in ("number",):
            body[name] = "1"
        elif kind in ("checkbox", "radio", "submit", "hidden") and first:
            body[name] = first
        elif kind not in ("checkbox", "radio", "submit", "hidden"):
            body[name] = "Checked with the participant"
    return body


def _offered_forms(world: World, pairs: list[tuple[str, str]]
                   ) -> list[tuple[str, str, list[tuple[str, str, str]]]]:
    """Every POST form any role is offered on a twin page, paired across the twins: (action
    for twin A, action for twin B, fields). A form offered for one twin only is a difference
    the GET check reports; it is left out here."""
    offered: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for role in [r.id for r in world.protocol.roles]:
        client = world.client(role)
        for url_a, url_b in pairs:
            got_a, got_b = client.get(url_a), client.get(url_b)
            forms_a = _post_forms(readable(got_a.content), url_a)
            forms_b = _post_forms(readable(got_b.content), url_b)
            if len(forms_a) != len(forms_b):
                continue
            for (action_a, fields), (action_b, _) in zip(forms_a, forms_b, strict=True):
                offered.setdefault((action_a, action_b), fields)
    # Forms not about a twin (the account page, administration) answer the same whoever is
    # looked at; they are the literal crawl's and the input-hygiene tests'.
    return [(a, b, fields) for (a, b), fields in offered.items() if a != b]


def _answer(world: World, client, url: str, body: dict[str, str]
            ) -> tuple[int, str, dict[str, list[int]]] | None:
    """The status and what the person reads: the page, or where it redirects and the message
    left for them; None when the request was an emergency unblinding (the one way a blinded
    role is meant to learn an arm: audited and notified). Undone afterwards, so every form
    meets the same trial."""
    with world.unchanged(), created_rows() as created:
        before = Unblinding.objects.count()
        response = client.post(url, body)
        messages = " ".join(str(m) for m in get_messages(response.wsgi_request))
        unblinded = Unblinding.objects.count() > before
    client.cookies.pop("messages", None)  # read here, not on the next page
    if unblinded:
        return None
    shown = messages if response.status_code in (301, 302) else text_of(response.content)
    where = response.get("Location", "") if response.status_code in (301, 302) else ""
    return response.status_code, f"{where} {shown}", created


def test_every_form_any_role_is_offered_answers_a_blinded_role_the_same_about_both_twins(
        trial, world):
    """Refused or done, the answer to a form sent about the twin in one arm reads like the
    answer about the twin in the other, and names no arm (e.g. the blinded coordinator sending
    the proceduralist's record of the sham puncture)."""
    protocol = trial.protocol
    patterns, public = concealed(protocol), _with_analysis(protocol)
    twins = counterparts(*world.twins)
    offered = _offered_forms(world, _twin_urls(world))
    assert len(offered) > 10
    today = world.demo.today.isoformat()
    differing, leaked, unblindings = {}, {}, 0
    for role in world.blinded_roles():
        client, password = world.client(role), world.logins[role][1]
        for action_a, action_b, fields in offered:
            body = _neutral(fields, password, today)
            answer_a = _answer(world, client, action_a, body)
            answer_b = _answer(world, client, action_b, {**body,
                                                         "submission": uuid.uuid4().hex})
            if answer_a is None or answer_b is None:
                assert answer_a is None and answer_b is None, (role, action_a)
                unblindings += 1
                continue
            (status_a, said_a, made_a), (status_b, said_b, made_b) = answer_a, answer_b
            assert status_a < 500 and status_b < 500, (role, action_a, said_a[:300])
            found = text_differences(said_a.lower(), said_b.lower(),
                                     with_created(twins, made_a, made_b))
            if status_a != status_b or found:
                differing[(role, action_a)] = (status_a, status_b, found[:3])
            for said in (said_a, said_b):
                if hits := _leaks_in(said.lower(), patterns, public):
                    leaked[(role, action_a)] = hits
    assert differing == {}
    assert leaked == {}
    assert unblindings <= 1  # at most the emergency unblinding's own form


def test_the_crawl_would_notice_an_allocation_on_an_unblinded_page(trial, world):
    """The detector is not blind itself: unblinded roles do get these facts on their pages,
    and the investigator who unblinded a participant sees that participant's arm."""
    protocol = trial.protocol
    module_demo = world.demo
    randomize_the_waiting_candidate(module_demo, protocol)  # a kit to prepare
    patterns, public = concealed(protocol), public_texts(protocol)
    preparer = next(r.id for r in protocol.roles
                    if "prepare_kit" in r.can and "preparation" in r.sees)
    queue = client_for(module_demo, preparer).get("/preparations/")
    assert leaks(queue.content, patterns, public)
    performers = [r.id for r in protocol.roles
                  if "perform_procedure" in r.can and "procedure_type" in r.sees]
    if trial.has("sham"):
        procedures = client_for(module_demo, performers[0]).get("/procedures/")
        assert any("sham" in hit for hit in leaks(procedures.content, patterns, public))
    if world.unblinded is not None:
        from tests.accounts_support import PASSWORD
        from tests.integration.pages.blinding_world import signed_in

        role = next(r.id for r in protocol.roles if "emergency_unblind" in r.can)
        unblinder = signed_in(world.unblinder, PASSWORD, role)
        page = unblinder.get(f"/participants/{world.unblinded.pk}/")
        assert leaks(page.content, patterns, public)


# -- the analysis outputs ----------------------------------------------------------------------
#
# The analysis page (/analysis/) is a page like the others and is crawled above. Its outputs are
# files (the report, results, each dataset as Dataset-JSON, XPT and Parquet, RTF tables, SVG
# figures, a zip of all): found by following the page's own links, read as text, and held to
# the same two checks, so an output added to `trialkit analyze` is crawled without edits here.

def _analysis_files(client) -> dict[str, bytes]:
    """Every file the analysis page links to (its figures and its downloads), with the zip's
    members as files of their own; nothing for a role the page refuses."""
    page = client.get("/analysis/")
    if page.status_code == 403:
        return {}
    assert page.status_code == 200
    links = sorted(set(re.findall(r'(?:href|src)="(/analysis/files/[^"?]+)\?[^"]*"',
                                  page.content.decode())))
    found: dict[str, bytes] = {}
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        found[link] = b"".join(response.streaming_content)
    assert any(link.endswith(".zip") for link in found), "no zip of every output"
    for link in [k for k in found if k.endswith(".zip")]:
        archive = zipfile.ZipFile(io.BytesIO(found.pop(link)))
        found.update({f"{link}!{name}": archive.read(name) for name in archive.namelist()})
    return found


def _file_rows(name: str, data: bytes) -> tuple[str, list[str]]:
    """A file's text (for the literal check) and its rows (for the twins): a dataset's records,
    a JSON document's flat objects and lists, a page's table rows and list items, lines."""
    if name.endswith(".parquet"):
        import pyarrow.parquet as parquet

        records = parquet.read_table(io.BytesIO(data)).to_pylist()
        rows = [" ".join(f"{k}={v}" for k, v in r.items()) for r in records]
        return _spaced("\n".join(rows)), rows
    if name.endswith(".xpt"):  # the same table as Dataset-JSON and Parquet: its text only
        return data.decode("latin-1"), []
    text = data.decode("utf-8")
    if name.endswith(".json"):  # read as its strings, as a reader of the values would
        parts = _flat_parts(json.loads(text))
        rows = [" ".join(map(str, leaf)) for leaf in parts]
        return _spaced("\n".join(rows)), rows
    if name.endswith((".html", ".svg")):
        rows = [text_of(m.group(0).encode()) for m in re.finditer(
            r"<(tr|li|text)\b.*?</\1>", text, flags=re.S | re.I)]
        return text_of(data), rows
    return _spaced(text), text.splitlines()


def _spaced(text: str) -> str:
    """Runs of white space as one space, as the protocol's texts are compared."""
    return re.sub(r"\s+", " ", text)


def _flat_parts(value, found=None) -> list[list[object]]:
    """The lists of scalars and the objects of scalars in a JSON document (a dataset's records,
    a table's rows, a listing's entries)."""
    found = [] if found is None else found
    items = list(value.values()) if isinstance(value, dict) else value \
        if isinstance(value, list) else None
    if items is None:
        return found
    if items and all(not isinstance(i, (dict, list)) for i in items):
        found.append([*value.keys(), *items] if isinstance(value, dict) else items)
    for item in items:
        _flat_parts(item, found)
    return found


def test_no_blinded_role_reads_an_arm_in_any_analysis_output_nor_tells_the_twins_apart(
        trial, world):
    """Every output of the analysis a blinded role may open names no arm, and its records
    about the twin in one arm read, identifiers paired, like those about the other."""
    protocol = trial.protocol
    patterns, public = concealed(protocol), _with_analysis(protocol)
    twins = counterparts(*world.twins)
    numbers = [t.screening_number.lower() for t in world.twins]
    opened, differing, leaked = 0, {}, {}
    for role in world.blinded_roles():
        with world.unchanged():
            files = _analysis_files(world.client(role))
        opened += bool(files)
        for name, data in files.items():
            text, rows = _file_rows(name, data)
            if hits := _leaks_in(text.lower(), patterns, public):
                leaked[(role, name)] = hits
            a, b = ([r.lower() for r in rows if n in r.lower()] for n in numbers)
            if len(a) != len(b):
                differing[(role, name)] = (f"{len(a)} rows", f"{len(b)} rows")
            elif found := [d for x, y in zip(a, b, strict=True)
                           for d in text_differences(x, y, twins)]:
                differing[(role, name)] = found[:3]
    assert opened >= 1, "no blinded role opened the analysis"
    assert leaked == {}
    assert differing == {}


def _with_analysis(protocol: Protocol) -> list[str]:
    return sorted([*public_texts(protocol), *analysis_texts(protocol)], key=len, reverse=True)


def test_the_analysis_crawl_would_notice_an_arm(trial, world):
    """The detector is not blind itself: a role that sees allocation and opens the analysis
    reads arms in its outputs."""
    protocol = trial.protocol
    patterns, public = concealed(protocol), _with_analysis(protocol)
    knowing = next(r.id for r in protocol.roles if "allocation" in r.sees
                   and {"export_data", "review_safety"} & set(r.can))
    files = _analysis_files(world.client(knowing))
    assert any(_leaks_in(_file_rows(n, d)[0].lower(), patterns, public)
               for n, d in files.items() if n.endswith(".json"))
