"""Reading a protocol file: YAML with positions, so every error names file, line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from trialkit.core.protocol.model import Protocol
from trialkit.core.protocol.problems import InconsistentProtocolError, Loc, Problem, ProtocolError
from trialkit.core.protocol.upgrade import FORMAT_1

Marks = dict[Loc, tuple[int, int]]


def load_protocol(path: str | Path) -> Protocol:
    """Load, validate and cross-check a protocol file; raise ProtocolError naming each problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProtocolError(str(path), [Problem((), f"cannot read the file: {exc}")]) from None
    return parse_protocol(text, source=str(path))


def parse_protocol(text: str, *, source: str = "<protocol>") -> Protocol:
    data, marks = read_yaml(text, source=source)
    return validate_protocol(data, marks=marks, source=source)


def validate_protocol(data: Any, *, marks: Marks | None = None,
                      source: str = "<protocol>") -> Protocol:
    marks = marks or {}
    if isinstance(data, dict) and data.get("format") == FORMAT_1:
        line, column = marks.get(("format",), (None, None))
        raise ProtocolError(source, [Problem(
            ("format",), f"this file is in format 1; trialkit reads format 2. Rewrite it with "
            f"`trialkit protocol upgrade {source} -o NEW.yaml` (docs/adr/0007)", line, column)])
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        problems = [_from_pydantic(err) for err in exc.errors(include_url=False)]
    except InconsistentProtocolError as exc:
        problems = list(exc.problems)
    raise ProtocolError(source, [_locate(p, marks) for p in problems]) from None


def read_yaml(text: str, *, source: str) -> tuple[Any, Marks]:
    """Parse YAML into plain data plus the (line, column) of every key and list element."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ProtocolError(source, [Problem((), "the file is empty")])
        marks: Marks = {}
        try:
            _collect_marks(node, (), marks)
        except ProtocolError as exc:
            raise ProtocolError(source, exc.problems) from None
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        message = f"YAML syntax error: {exc.problem or exc.context}"
        raise ProtocolError(source, [Problem((), message, line, col)]) from None
    except yaml.YAMLError as exc:
        raise ProtocolError(source, [Problem((), f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ProtocolError(source, [Problem((), "a protocol file is a mapping of sections", 1, 1)])
    return data, marks


def _collect_marks(node: yaml.Node, path: Loc, marks: Marks) -> None:
    marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.ScalarNode):
        marks[(*path, _TEXT)] = _text_start(node)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise ProtocolError("", [Problem(
                    (*path, key), f"key '{key}' appears twice (first on line {seen[key]})",
                    key_node.start_mark.line + 1, key_node.start_mark.column + 1)])
            seen[key] = key_node.start_mark.line + 1
            marks[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _collect_marks(value_node, (*path, key), marks)
            # Keep the key's own position: errors about a key read best pointing at the key.
            marks[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_marks(item, (*path, index), marks)


_TEXT = "#text"  # marks key: where a scalar's text starts (not a YAML key: keys are names)


def _text_start(node: yaml.ScalarNode) -> tuple[int, int]:
    """(line, column) of a scalar's first character of text; for a block scalar (``|``) the
    first content line at its indentation, so the text's own lines and columns map 1:1."""
    mark = node.start_mark
    if node.style in ("|", ">") and mark.buffer:
        text, line = mark.buffer, mark.line + 2
        pos = text.find("\n", mark.pointer) + 1
        while 0 < pos < len(text) and not _line_at(text, pos).strip():
            pos = text.find("\n", pos) + 1  # leading blank lines are part of the text
        content = _line_at(text, pos)
        return line, len(content) - len(content.lstrip(" ")) + 1
    quoted = 1 if node.style in ("'", '"') else 0
    return mark.line + 1, mark.column + 1 + quoted


def _line_at(text: str, pos: int) -> str:
    end = text.find("\n", pos)
    return text[pos:] if end < 0 else text[pos:end]


def _from_pydantic(err: Any) -> Problem:
    loc: Loc = tuple(part for part in err["loc"] if not _is_union_tag(part))
    message = err["msg"]
    if err["type"] == "extra_forbidden":
        message = "unknown key (not part of the protocol format; check the spelling)"
    elif err["type"] == "missing":
        message = "required field is missing"
    elif "input" in err and err["type"] not in ("value_error",):
        message += f" (got {_short(err['input'])})"
    return Problem(loc, message)


def _is_union_tag(part: Any) -> bool:
    # pydantic adds the member type of a union ('str', 'function-after[...]') to the location.
    return isinstance(part, str) and (part in ("str", "int", "float", "bool", "date", "none")
                                      or ("[" in part and part.endswith("]")))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _locate(problem: Problem, marks: Marks) -> Problem:
    path = problem.path
    if problem.offset is not None and (*path, _TEXT) in marks:
        line, column = marks[(*path, _TEXT)]
        in_line, in_column = problem.offset
        # A block scalar's lines all start at its indentation; a plain scalar's first line
        # starts after the key, and its folded continuation lines cannot be mapped exactly.
        block = line != marks[path][0]
        column = column + in_column - 1 if block or in_line == 1 else in_column
        return Problem(path, problem.message, line + in_line - 1, column)
    # Walk up to the nearest located ancestor (a missing key has no position of its own).
    for cut in range(len(path), -1, -1):
        if path[:cut] in marks:
            line, column = marks[path[:cut]]
            return Problem(problem.path, problem.message, line, column)
    return problem
