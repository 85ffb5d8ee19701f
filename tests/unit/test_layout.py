"""The package stays readable: short functions, modules of one subject."""

import ast

import pytest

from tests.helpers import ROOT

MODULES = sorted((ROOT / "killipose").rglob("*.py"))
#: Longest function, its docstring aside, and longest module, in lines.
MAX_FUNCTION, MAX_MODULE = 60, 400


def function_lengths(path):
    """``(name, lines)`` of every function and method in ``path``: its body, from the
    first statement after the docstring to the last."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:] or body
            yield node.name, node.end_lineno - body[0].lineno + 1


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_long_functions_or_modules(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE, f"{lines} lines"
    long = {name: n for name, n in function_lengths(path) if n > MAX_FUNCTION}
    assert not long, long
