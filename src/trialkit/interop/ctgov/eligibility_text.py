"""The registry's free-text eligibility block: split into criteria, and written back.

API v2 holds the criteria as one markdown-like string::

    Inclusion Criteria:

    * Age 18 or older
    * Signed consent
      * sub-item, kept with its parent

    Exclusion Criteria:

    1. Pregnancy

Records differ: items are bulleted (``*``, ``-``, ``•``), numbered (``1.``, ``1)``, ``a)``) or
plain lines, and headings carry qualifiers ("Inclusion criteria stage 2"). Each top-level item
becomes one criterion with its text kept verbatim; indented lines (sub-bullets, continuation
paragraphs) stay with the item above them, one per line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["inclusion", "exclusion"]

# The registry's structured limits (minimumAge, maximumAge, sex) become criteria with these ids
# and texts on import; export writes them back as the structured fields, not as free text.
AGE_ID, AGE_TEXT_PREFIX = "AGE", "Registry age limits:"
SEX_ID, SEX_TEXT_PREFIX = "SEX", "Registry sex:"

# Item markers, optionally backslash-escaped as the registry writes them (6\. or \-):
# bullets, numbers, and letters or roman numerals ("a.", "ii)").
_MARKER = re.compile(
    r"^(?:\\?(?P<bullet>[*\-•+])|(?P<number>\d{1,3})\\?[.)]|(?P<alpha>[a-z]|[ivx]{1,4})[.)])"
    r"\s+(?P<text>\S.*)$")
# A heading is "Inclusion"/"Exclusion", optionally with "criteria" and a short qualifier.
_HEADING = re.compile(
    r"^(?:\w+\s+)?(?P<kind>inclusion|exclusion)(?:\s+criteri(?:a|on)\b.{0,60})?$",
    re.IGNORECASE)
_PLAIN_HEADING = re.compile(r"^(inclusion|exclusion) criteria$", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedCriterion:
    kind: Kind
    text: str
    heading: str | None
    """The heading line the item stood under, verbatim; None if it stood under none."""

    @property
    def qualified(self) -> bool:
        """True when the heading says more than plain "Inclusion/Exclusion Criteria"."""
        return self.heading is not None and not _PLAIN_HEADING.match(_bare(self.heading))


@dataclass
class _Item:
    indent: int
    lines: list[str] = field(default_factory=list)


def is_structured(criterion_id: str, text: str) -> bool:
    """True for the AGE/SEX criteria the importer derives from the structured fields."""
    return ((criterion_id == AGE_ID and text.startswith(AGE_TEXT_PREFIX))
            or (criterion_id == SEX_ID and text.startswith(SEX_TEXT_PREFIX)))


def heading_kind(line: str) -> Kind | None:
    """The section a heading line opens, or None if the line is not a heading."""
    match = _HEADING.match(_bare(line))
    if match is None:
        return None
    return "inclusion" if match["kind"].lower() == "inclusion" else "exclusion"


def _bare(line: str) -> str:
    # Headings come dressed as "**Inclusion Criteria:**", "### Exclusion criteria" and so on.
    return line.strip().strip("*_#").strip().rstrip(":").strip().strip("*_").strip()


def parse_criteria(text: str) -> list[ParsedCriterion]:
    """Split an eligibility block into criteria; items before any heading count as inclusion."""
    splitter = _Splitter()
    for raw in text.expandtabs(4).splitlines():
        if raw.strip():
            splitter.feed(raw)
    splitter.flush()
    return splitter.result


@dataclass
class _Splitter:
    """Decides, line by line, whether a line opens a criterion or belongs to the open one.

    Registry text is often malformed markdown: sub-lists restart at "1." without indentation
    and top-level items continue indented ("   7\\. ..."). Numbers settle it: within a section
    a number one past the last top-level number opens a criterion, a number continuing a
    sub-list stays in it, and anything else nests. A marker of another style than the
    section's first item (letters under a numbered list) nests too.
    """

    result: list[ParsedCriterion] = field(default_factory=list)
    kind: Kind = "inclusion"
    heading: str | None = None
    current: _Item | None = None
    style: str | None = None
    last_top: int | None = None
    last_nested: tuple[int, int] | None = None  # (indent, number) of the last nested number

    def feed(self, raw: str) -> None:
        line, indent = raw.strip(), len(raw) - len(raw.lstrip())
        marker = _MARKER.match(line)
        if marker is None and heading_kind(line) is not None and not self._inside(indent):
            self.flush()
            self.kind = heading_kind(line) or "inclusion"
            self.heading, self.current, self.style = line, None, None
            self.last_top = self.last_nested = None
        elif self._nests(marker, indent):
            assert self.current is not None
            self.current.lines.append(line)
        else:
            self.flush()
            self.current = _Item(indent, [marker["text"] if marker else line])
            if marker is not None:
                # A preamble line ("Patients must meet all of:") does not set the list style.
                self.style = self.style or _style(marker)
            if marker and marker["number"]:
                self.last_top, self.last_nested = int(marker["number"]), None

    def _inside(self, indent: int) -> bool:
        return self.current is not None and indent > self.current.indent

    def _nests(self, marker: re.Match[str] | None, indent: int) -> bool:
        if self.current is None:
            return False
        if marker is None or not marker["number"]:
            return self._inside(indent) or (
                marker is not None and self.style is not None and _style(marker) != self.style)
        number = int(marker["number"])
        nested = (self.last_nested is not None and self.last_nested == (indent, number - 1)) or (
            self.last_top is not None and number != self.last_top + 1
            and (self._inside(indent) or number <= self.last_top))
        if nested:
            self.last_nested = (indent, number)
        return nested

    def flush(self) -> None:
        if self.current is not None:
            self.result.append(
                ParsedCriterion(self.kind, "\n".join(self.current.lines), self.heading))
            self.current = None


def _style(marker: re.Match[str]) -> str:
    return "bullet" if marker["bullet"] else "number" if marker["number"] else "alpha"


def format_criteria(inclusion: Sequence[str], exclusion: Sequence[str]) -> str:
    """The registry's block: numbered items under "Inclusion/Exclusion Criteria:" headings."""
    sections = []
    for title, texts in (("Inclusion Criteria:", inclusion), ("Exclusion Criteria:", exclusion)):
        if texts:
            items = [_numbered(n, text) for n, text in enumerate(texts, start=1)]
            sections.append(title + "\n\n" + "\n".join(items))
    return "\n\n".join(sections)


def _numbered(number: int, text: str) -> str:
    marker = f"{number}. "
    first, *rest = text.splitlines() or [""]
    # Later lines are indented past the marker so a reader keeps them with this item.
    return "\n".join([marker + first, *(" " * len(marker) + line for line in rest)])


def is_bullet(line: str) -> bool:
    return _MARKER.match(line.strip()) is not None


def unwrap(text: str) -> str:
    """Undo the hard wrapping of classic XML text blocks, keeping bullets and paragraphs.

    A line continues the one above it unless it is blank, a bullet or a heading, or follows a
    blank line or a heading. Common indentation is removed; each line keeps its own.
    """
    lines = text.expandtabs(4).splitlines()
    margin = min((len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()), default=0)
    out: list[str] = []
    joinable = False
    for raw in lines:
        line = raw[margin:].rstrip()
        stripped = line.strip()
        if not stripped:
            out.append("")
            joinable = False
            continue
        starts_new = is_bullet(stripped) or heading_kind(stripped) is not None
        if joinable and not starts_new:
            out[-1] = out[-1] + " " + stripped
        else:
            out.append(line)
        joinable = heading_kind(stripped) is None or is_bullet(stripped)
    return "\n".join(out).strip("\n")
