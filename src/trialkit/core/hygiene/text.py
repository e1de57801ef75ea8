"""What a text input may hold, how it is cleaned, and the same rule as a JSON Schema pattern.

One ``TextRule`` drives both the check a value goes through and the ``pattern``/``minLength``/
``maxLength`` published for it, so the two cannot say different things. Cleaning, in order:

1. a lone UTF-16 surrogate is refused (it is not text: it cannot be encoded, stored or hashed);
2. in free text, CR LF and lone CR become LF (browsers send CR LF from a text area);
3. Unicode NFC normalisation (``é`` typed as e + combining accent equals the one-character
   ``é``), except for passwords, which are compared exactly as typed;
4. control characters are refused: C0 (NUL included), DEL and C1; free text may hold tab and
   line breaks;
5. the length, counted in characters after normalisation, must be within the rule's bounds;
6. a rule's own pattern (identifiers, usernames) must match, apart from surrounding spaces;
7. a required value must not be blank; surrounding whitespace is removed (not from passwords).

The published patterns use only ``\\x``/``\\u`` escapes and explicit character classes, which
mean the same in ECMA-262 (JSON Schema) and in Python. They do not mention surrogates: a
JSON Schema string is Unicode text, which a lone surrogate is not.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from trialkit.core.wording import Wording, gettext_noop, worded

CONTROLS = r"\x00-\x1F\x7F-\x9F"
"""C0 controls (NUL to US), DEL and the C1 controls: never in a single-line value."""
CONTROLS_IN_FREE_TEXT = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F"
"""The same less tab, LF and CR (CR only arrives to be turned into LF)."""
SPACES = r" \xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
"""Whitespace other than controls, exactly the characters ``str.isspace`` and ``str.strip``
treat as whitespace (tested), so "blank" means the same in the pattern and in the check."""
LINE_BREAKS = r"\t\n\r"

IDENTIFIER = r"[A-Za-z][A-Za-z0-9_.-]*"
"""A protocol id (role, part, form, visit, item, administration, criterion): the protocol
model's own ``Ident``."""
USERNAME = r"[A-Za-z0-9_.@+-]+"
"""ASCII letters, digits and ``_ . @ + -``: Django's username characters without the
non-ASCII letters, so no two usernames in the audit trail look alike."""

_SURROGATE = re.compile("[\ud800-\udfff]")


class InputRefusedError(ValueError):
    """A value the rule refuses; the message reads after the field's name. ``wording`` keeps it
    as template and values, for a page in the reader's language."""

    def __init__(self, message: str | Wording) -> None:
        self.wording = message if isinstance(message, Wording) else Wording(message)
        super().__init__(self.wording.text)


@dataclass(frozen=True)
class TextRule:
    max_length: int
    min_length: int = 0
    """A length some values need whatever the field (a new password's minimum)."""
    multiline: bool = False
    """Free text: tab and line breaks allowed."""
    core: str | None = None
    """A pattern the value must match, surrounding spaces apart (``IDENTIFIER``, ...)."""
    hint: str = ""
    """What ``core`` allows, in words, for the refusal."""
    normalise: bool = True
    trim: bool = True

    def optional(self) -> TextRule:
        """The same rule for a field that may be left empty."""
        return replace(self, min_length=0)

    def schema(self, *, required: bool) -> dict[str, object]:
        """``minLength``, ``maxLength`` and ``pattern`` of a JSON Schema string."""
        low = max(self.min_length, 1) if required else self.min_length
        return {"type": "string", "minLength": low, "maxLength": self.max_length,
                "pattern": self.pattern(required=required)}

    def pattern(self, *, required: bool) -> str:
        controls = CONTROLS_IN_FREE_TEXT if self.multiline else CONTROLS
        if not self.trim:
            return f"^[^{controls}]*$"
        spaces = SPACES + (LINE_BREAKS if self.multiline else "")
        if self.core is not None:
            optional = "" if required else "?"
            return f"^[{spaces}]*(?:{self.core}){optional}[{spaces}]*$"
        if required:  # at least one character that is neither a control nor a space
            return f"^[^{controls}]*[^{controls}{spaces}][^{controls}]*$"
        return f"^[^{controls}]*$"

    def clean(self, value: str, *, required: bool) -> str:
        """``value`` normalised and trimmed; raises InputRefusedError saying what is wrong."""
        if _SURROGATE.search(value):
            raise InputRefusedError(gettext_noop(
                "contains a lone UTF-16 surrogate, which is not text"))
        if self.multiline:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        if self.normalise:
            value = unicodedata.normalize("NFC", value)
        controls = CONTROLS_IN_FREE_TEXT if self.multiline else CONTROLS
        if re.search(f"[{controls}]", value):
            raise InputRefusedError(gettext_noop(
                "must not contain control characters such as NUL; only tab and line breaks are "
                "allowed") if self.multiline else gettext_noop(
                "must not contain control characters such as NUL"))
        self._check_length(value, required=required)
        if self.core is not None and not (value.strip() == "" and not required) \
                and re.fullmatch(self.core, value.strip()) is None:
            raise InputRefusedError(self.hint or gettext_noop("is not in the expected form"))
        if required and self.trim and not value.strip():
            raise InputRefusedError(gettext_noop("is required (it is blank)"))
        return value.strip() if self.trim else value

    def _check_length(self, value: str, *, required: bool) -> None:
        if len(value) > self.max_length:
            raise InputRefusedError(worded(gettext_noop(
                "is longer than %(most)s characters (%(length)s)"), most=self.max_length,
                length=len(value)))
        low = max(self.min_length, 1) if required else self.min_length
        if len(value) < low:
            raise InputRefusedError(gettext_noop("is required") if low == 1 else worded(
                gettext_noop("is shorter than %(least)s characters"), least=low))


def identifier(max_length: int) -> TextRule:
    return TextRule(max_length, core=IDENTIFIER,
                    hint=gettext_noop(
                        "must be an id: a letter, then letters, digits, '_', '.' or '-'"))


def username(max_length: int) -> TextRule:
    return TextRule(max_length, core=USERNAME,
                    hint=gettext_noop(
                        "may hold only ASCII letters, digits and the characters _ . @ + -"))


def line(max_length: int) -> TextRule:
    """A single-line value: a name, a code, a short label."""
    return TextRule(max_length)


def free_text(max_length: int) -> TextRule:
    """Text a person writes: a reason, a message, a rationale."""
    return TextRule(max_length, multiline=True)


def password(max_length: int, min_length: int = 0) -> TextRule:
    """Compared exactly as typed: not normalised, not trimmed."""
    return TextRule(max_length, min_length=min_length, normalise=False, trim=False)
