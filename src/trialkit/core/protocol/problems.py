"""Errors that point at the protocol file: file, line, column, field path and what was expected."""

from __future__ import annotations

from dataclasses import dataclass

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    path: Loc
    message: str
    line: int | None = None
    column: int | None = None
    offset: tuple[int, int] | None = None
    """(line, column), 1-based, inside the text of the value at ``path`` (e.g. a rule)."""

    def dotted_path(self) -> str:
        return format_path(self.path)


def format_path(path: Loc) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "(document)"


class ProtocolError(Exception):
    """A protocol file that cannot be used, with every problem found in it."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        lines = []
        for p in self.problems:
            where = self.source
            if p.line is not None:
                where += f":{p.line}"
                if p.column is not None:
                    where += f":{p.column}"
            lines.append(f"{where}: {p.dotted_path()}: {p.message}")
        return "\n".join(lines)


class InconsistentProtocolError(Exception):
    """Raised by the root model when cross-references do not hold.

    Deliberately not a ``ValueError``: pydantic would flatten it into one message at the root,
    losing the path of each offending field.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.dotted_path()}: {p.message}" for p in problems))
