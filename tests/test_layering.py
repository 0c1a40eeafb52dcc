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
