"""Student text never reaches eval: no module that reads or grades it calls eval, exec, compile, SymPy's S(...),
parse_expr, parse_latex or __import__, nor imports sympy.parsing, and sympify only with strict=True (which refuses
strings). Checked on the source of every grader module (parse, checkers, write-ups, files) and the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import grader
import symconv.cli

FORBIDDEN = {"eval", "exec", "parse_expr", "parse_latex", "__import__", "literal_eval"}  # as f() or x.f()
FORBIDDEN_BARE = {"compile", "S"}  # builtins.compile(), sympy's S("...") (re.compile is an attribute call: fine)
ROOTS = [Path(grader.__file__).parent, Path(symconv.cli.__file__).parent]
MODULES = sorted(p for root in ROOTS for p in root.rglob("*.py"))


def violations(source: str) -> list[str]:
    """What in ``source`` could evaluate text.

    >>> violations("import sympy\\nsympy.sympify(x)\\nsympy.sympify(y, strict=True)\\nre.compile('a')")
    ['sympify without strict=True at line 2']
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
            if name in FORBIDDEN or (isinstance(fn, ast.Name) and name in FORBIDDEN_BARE) or \
                    (isinstance(fn, ast.Attribute) and name == "S"):
                found.append(f"{name}() at line {node.lineno}")
            strict = any(k.arg == "strict" and isinstance(k.value, ast.Constant) and k.value.value is True
                         for k in node.keywords)
            if name == "sympify" and not strict:
                found.append(f"sympify without strict=True at line {node.lineno}")
        if isinstance(node, ast.ImportFrom) and "parsing" in (node.module or ""):
            found.append(f"imports {node.module} at line {node.lineno}")
        if isinstance(node, ast.Import) and any("parsing" in alias.name for alias in node.names):
            found.append(f"imports sympy.parsing at line {node.lineno}")
    return found


def test_every_grader_module_is_checked():
    names = {p.relative_to(ROOTS[0].parent).as_posix() for p in MODULES}
    assert {"grader/parse/reader.py", "grader/checkers/chain.py", "grader/writeup/__init__.py",
            "grader/submission.py", "symconv/cli/grade.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(ROOTS[0].parent).as_posix())
def test_module_never_evaluates_text(path):
    assert violations(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("source", [
    "eval(text)", "exec(text)", "compile(text, 'f', 'eval')", "S(text)", "sympy.S(text)", "sympy.sympify(text)",
    "sympify(text, strict=False)", "parse_expr(text)", "from sympy.parsing.latex import parse_latex",
    "import sympy.parsing.sympy_parser", "__import__('os')", "ast.literal_eval(text)",
])
def test_the_check_catches_each_way_to_evaluate(source):
    assert violations(source)


@pytest.mark.parametrize("source", ["re.compile(r'a+')", "sympy.sympify(3, strict=True)", "Symbol('x')"])
def test_the_check_leaves_safe_calls_alone(source):
    assert violations(source) == []
