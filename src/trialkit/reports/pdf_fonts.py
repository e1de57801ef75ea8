"""Which fonts a PDF needs so that every character of its text is printed.

The text font (DejaVu Sans, shipped with matplotlib) covers Latin, Greek, Cyrillic and the
symbols reports use, but no Chinese, Japanese or Korean. A site in Taiwan writes names, adverse
event terms and comments in Chinese, and fpdf2 drops a character its font lacks with only a
warning: a filed record would silently lose words. So a document whose text needs more gets
fallback fonts, found on the machine:

- ``TRIALKIT_PDF_FONTS``: font files separated by the path separator (``:``); a font collection
  (``.ttc``) may name its face by index after ``#`` (``/fonts/NotoSansCJK-Regular.ttc#3``);
- otherwise the Noto CJK collection where the operating system's package puts it (Debian and
  Ubuntu ``fonts-noto-cjk``, Fedora ``google-noto-sans-cjk-fonts``, Arch ``noto-fonts-cjk``),
  in its Traditional Chinese face: the one for the languages trialkit ships (ADR 0019).

A character no font covers is printed as its code point, ``[U+6797]``, and the document says so
at its top: readable, and never lost.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import matplotlib
from fontTools.ttLib import TTCollection, TTFont

TEXT_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
TEXT_FONT_FILE = TEXT_FONTS / "DejaVuSans.ttf"
ENVIRONMENT = "TRIALKIT_PDF_FONTS"
PREFERRED_FACE = "TC"  # Traditional Chinese glyph forms, for the zh-Hant interface
KNOWN_COLLECTIONS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
# Characters a layout draws without a glyph: line breaks and the zero-width joiners.
_NOT_DRAWN = frozenset("\n\r\t\u200b\u200c\u200d\ufeff")


@dataclass(frozen=True)
class FontFile:
    path: Path
    face: int = 0

    @property
    def family(self) -> str:
        return f"Fallback{self.face}-{self.path.stem}"


@dataclass(frozen=True)
class FontPlan:
    """The fallback fonts a text needs, and the characters none of them draws."""

    fallbacks: tuple[FontFile, ...]
    unprintable: frozenset[str]

    def shown(self, text: str) -> str:
        """The text as printed: a character no font draws becomes its code point."""
        if not self.unprintable or not self.unprintable.intersection(text):
            return text
        return "".join(f"[U+{ord(c):04X}]" if c in self.unprintable else c for c in text)


def plan_for(texts: Iterable[str]) -> FontPlan:
    """The fonts that print ``texts``: none beyond the text font when it covers them."""
    wanted = frozenset("".join(texts)) - _NOT_DRAWN
    missing = {c for c in wanted if ord(c) not in _covered(FontFile(TEXT_FONT_FILE))}
    fallbacks = []
    for font in fallback_fonts():
        if not missing:
            break
        drawn = {c for c in missing if ord(c) in _covered(font)}
        if drawn:
            fallbacks.append(font)
            missing -= drawn
    return FontPlan(tuple(fallbacks), frozenset(missing))


def fallback_fonts() -> tuple[FontFile, ...]:
    """The fallback fonts this machine offers, in the order they are tried."""
    configured = os.environ.get(ENVIRONMENT)
    if configured is not None:
        return tuple(font for entry in configured.split(os.pathsep) if entry
                     for font in [_configured(entry)] if font is not None)
    for known in KNOWN_COLLECTIONS:
        path = Path(known)
        if path.is_file():
            return (FontFile(path, _preferred_face(path)),)
    return ()


def _configured(entry: str) -> FontFile | None:
    name, _, face = entry.partition("#")
    path = Path(name)
    if not path.is_file():
        return None
    return FontFile(path, int(face) if face.isdigit() else 0)


@lru_cache(maxsize=16)
def _preferred_face(path: Path) -> int:
    faces = TTCollection(str(path), lazy=True).fonts
    names = [str(face["name"].getDebugName(1) or "") for face in faces]
    return next((i for i, name in enumerate(names)
                 if name.endswith(f" {PREFERRED_FACE}") and "Mono" not in name), 0)


@lru_cache(maxsize=16)
def _covered(font: FontFile) -> frozenset[int]:
    """The code points the font has a glyph for (read once per process)."""
    if font.path.suffix.lower() in {".ttc", ".otc"}:
        face = TTCollection(str(font.path), lazy=True).fonts[font.face]
    else:
        face = TTFont(str(font.path), lazy=True)
    return frozenset(face.getBestCmap() or {})


__all__ = ["ENVIRONMENT", "TEXT_FONTS", "FontFile", "FontPlan", "fallback_fonts", "plan_for"]
