"""Variants of a protocol (the reference one unless told) for tests that need the protocol to
say something else, and form data made from a form's own definition (so a test names no
item)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REFERENCE_PROTOCOL
from trialkit.core.protocol import Protocol
from trialkit.core.protocol.forms import Form

Document = dict[str, Any]


def variant(directory: Path, change: Callable[[Document], None],
            name: str = "variant.yaml", source: Path = REFERENCE_PROTOCOL) -> Path:
    """The protocol file ``source`` with ``change`` applied to its YAML document."""
    document: Document = yaml.safe_load(source.read_text(encoding="utf-8"))
    change(document)
    path = directory / name
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


def form_of(document: Document, kind: str) -> Document:
    return next(f for f in document["forms"] if f["kind"] == kind)


def role_of(document: Document, role_id: str) -> Document:
    return next(r for r in document["roles"] if r["id"] == role_id)


_VALUES: dict[str, object] = {"integer": 0, "decimal": 0.0, "text": "x", "date": "2020-01-01",
                              "datetime": "2020-01-01T09:00:00+00:00", "boolean": False}


def filled(protocol: Protocol, form: Form, **values: object) -> dict[str, object]:
    """Every required entered item of ``form`` with a valid value (the lowest of its range,
    the first code of its code list), then ``values`` on top."""
    data: dict[str, object] = {}
    for item in form.items:
        if not item.required or item.derived is not None:
            continue
        if item.codelist is not None:
            data[item.id] = protocol.codelist(item.codelist).items[0].code
        elif item.range is not None and item.range.min is not None:
            data[item.id] = item.range.min
        else:
            data[item.id] = _VALUES[item.type]
    return {**data, **values}


def visit_of(protocol: Protocol, form: Form) -> str:
    """A visit that collects ``form`` (empty for a log form no visit lists)."""
    return next((v.id for v in protocol.schedule.visits if form.id in v.forms), "")


def renamed_ids(document: Document, prefix: str = "r") -> dict[str, dict[str, str]]:
    """Give every form and item a new id everywhere the protocol names them (visits, strata,
    derivations, edit checks, interpretations, translations); returns form id → {"": new form
    id, item id → new item id}."""
    renames: dict[str, dict[str, str]] = {}
    for form in document["forms"]:
        items = {item["id"]: f"{prefix}_{item['id']}" for item in form["items"]}
        renames[form["id"]] = {"": f"{prefix.upper()}{form['id']}", **items}
        form["id"] = renames[form["id"]][""]
        for item in form["items"]:
            item["id"] = items[item["id"]]
            derived = item.get("derived")
            if derived:
                derived["inputs"] = {k: items[v] for k, v in derived["inputs"].items()}
                if derived.get("check_against"):
                    derived["check_against"] = items[derived["check_against"]]
        words = re.compile(r"\b(" + "|".join(map(re.escape, items)) + r")\b")
        for check in form.get("checks", []):
            check["item"] = items[check["item"]]
            for key in ("expression", "when"):
                if check.get(key):
                    check[key] = _outside_strings(check[key], words, items)
    for visit in document["schedule"]["visits"]:
        visit["forms"] = [renames[f][""] for f in visit.get("forms", [])]
    # Declared analyses name datasets and parameters after forms and items; the renamed
    # variants test screening and capture, so they drop the analyses rather than rename them.
    document.pop("analysis_data", None)
    for endpoint in document.get("endpoints", []):
        endpoint.pop("analyses", None)
    for role in document.get("roles", []):
        if role.get("reads"):
            role["reads"] = [renames[f][""] for f in role["reads"]]
    for stratum in (document.get("randomization") or {}).get("strata", []):
        stratum["item"] = renames[stratum["form"]][stratum["item"]]
        stratum["form"] = renames[stratum["form"]][""]
    for interpretation in document.get("interpretations", []):
        interpretation["governs"] = [_renamed_path(p, renames)
                                     for p in interpretation.get("governs", [])]
    for translation in document.get("translations", []):  # keyed by form, form.item/.check
        translation["forms"] = {renames[form][""]: words
                                for form, words in translation.get("forms", {}).items()}
        translation["checks"] = {  # a check keeps its id; its form is renamed
            f"{renames[form]['']}.{check}": words
            for form, check, words in ((*key.split(".", 1), words)
                                       for key, words in translation.get("checks", {}).items())}
        translation["items"] = {
            f"{renames[form]['']}.{renames[form][item]}": words
            for form, item, words in ((*key.split(".", 1), words)
                                      for key, words in translation.get("items", {}).items())}
    return renames


def _outside_strings(text: str, words: re.Pattern[str], items: dict[str, str]) -> str:
    parts = text.split('"')
    return '"'.join(words.sub(lambda m: items[m.group(1)], part) if i % 2 == 0 else part
                    for i, part in enumerate(parts))


def _renamed_path(path: str, renames: dict[str, dict[str, str]]) -> str:
    match = re.match(r"^forms\[(\w+)\](\.items\[(\w+)\])?(.*)$", path)
    if match is None:
        return path
    form, _, item, rest = match.groups()
    new = f"forms[{renames[form]['']}]"
    return new + (f".items[{renames[form][item]}]" if item else "") + rest
