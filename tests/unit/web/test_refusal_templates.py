"""Every refusal an action writes is a translatable template, not a finished sentence.

A finished sentence (a string or an f-string) is worded once, in the language the action ran
in, so a Chinese page would show it in English (docs/how-to/translate.md, "Mark a string").
This reads the source of the actions and of every module a page calls: a call of an ``ActionError`` class whose message is a literal
or an f-string fails here, naming the place."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from trialkit.web.trial.actions import base

WEB = Path(base.__file__).parents[2]
SOURCES = sorted(path for folder in ("trial", "boundary", "pages") for path in
                 (WEB / folder).rglob("*.py") if "migrations" not in path.parts)
"""Every module whose refusals reach a page (the API answers in the protocol's words only)."""
REFUSALS = {name for name, value in vars(base).items()
            if isinstance(value, type) and issubclass(value, base.ActionError)} | {
    "PasswordRefusedError"}


def _finished_sentences(path: Path) -> list[str]:
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for scope in ast.walk(tree):
        if not isinstance(scope, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        sentences = _names_of_sentences(scope)
        for node in _own_nodes(scope):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in REFUSALS and node.args):
                continue
            message = node.args[0]
            if _is_sentence(message) or (isinstance(message, ast.Name)
                                         and message.id in sentences):
                found.append(f"{path.name}:{node.lineno}")
    return sorted(set(found), key=lambda place: int(place.rsplit(":", 1)[1]))


def _is_sentence(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str))


def _own_nodes(scope: ast.AST) -> list[ast.AST]:
    """The scope's nodes, without those of the functions defined inside it (their own scope)."""
    nodes, stack = [], list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        nodes.append(node)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))
    return nodes


def _names_of_sentences(scope: ast.AST) -> set[str]:
    """Names the scope binds to a finished sentence (``message = f"..."``), which a refusal
    may then pass on: a finished sentence all the same."""
    return {target.id for node in _own_nodes(scope) if isinstance(node, ast.Assign)
            and _is_sentence(node.value) for target in node.targets
            if isinstance(target, ast.Name)}


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(WEB)))
def test_no_action_refuses_with_a_finished_sentence(path):
    assert _finished_sentences(path) == []


def test_the_check_would_notice_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('def f(n):\n    raise StateConflictError(f"participant {n} is locked")\n'
                      '    raise NotFoundError("no such thing")\n'
                      '    raise NotFoundError(_("no such thing"))\n'
                      '    message = f"role {n} may not"\n'
                      '    raise NotPermittedError(message)\n', encoding="utf-8")
    assert _finished_sentences(sample) == ["sample.py:2", "sample.py:3", "sample.py:6"]
