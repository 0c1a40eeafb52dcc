"""The engine does not depend on the grader: importing symconv's maths, numeric, limits and documents must not
import grader (the grader consumes the engine, never the other way round)."""

from __future__ import annotations

import subprocess
import sys

import pytest

ENGINE_MODULES = ["symconv", "symconv.numeric", "symconv.limits", "symconv.document", "symconv.solution",
                  "symconv.spec", "symconv.verify", "symconv.latex"]


@pytest.mark.parametrize("module", ENGINE_MODULES)
def test_engine_module_does_not_import_grader(module):
    code = (f"import sys, {module}\n"
            "loaded = sorted(m for m in sys.modules if m == 'grader' or m.startswith('grader.'))\n"
            "print(','.join(loaded))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "", f"importing {module} imported {out.stdout.strip()}"


def test_the_check_sees_an_import_of_grader():
    """The failure path: a module that does import grader is caught by the same check."""
    code = "import sys, grader\nprint(','.join(m for m in sys.modules if m == 'grader'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "grader"


def test_every_engine_module_and_every_document_leaves_grader_out():
    """Every module of symconv except the command line (which registers the grader's commands), the task registry
    loaded, and every template's solution, handout and answer sheet built: still no grader."""
    code = (
        "import importlib, pkgutil, sys, symconv\n"
        "for m in pkgutil.walk_packages(symconv.__path__, 'symconv.'):\n"
        "    if not m.name.startswith('symconv.cli'):\n"
        "        importlib.import_module(m.name)\n"
        "from symconv.tasks import registry\n"
        "registry()\n"
        "from symconv import derive_solution\n"
        "from symconv.document import build_document\n"
        "from symconv.document.answer_sheet import answer_sheet\n"
        "from symconv.spec import TEMPLATES\n"
        "for path in sorted(TEMPLATES.glob('*.yaml')):\n"
        "    sol = derive_solution(path)\n"
        "    build_document(sol).dumps(); build_document(sol, handout=True).dumps(); answer_sheet(sol.spec)\n"
        "print(','.join(sorted(m for m in sys.modules if m == 'grader' or m.startswith('grader.'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True)
    assert out.stdout.strip() == ""
