"""bench/bench_parse.py: missing baselines are reported with the pip command that installs them, never a crash.

No test here depends on timing: targets are set to 0 or infinity where a ratio decides the exit code.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_parse.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_parse", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_parse"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("bench_parse", None)


def _missing(monkeypatch):
    """Neither baseline importable: parse_latex raises ImportError (as without ANTLR) and no latex2sympy2."""
    def no_antlr(text):
        raise ImportError("LaTeX parsing requires the antlr4 Python package")
    monkeypatch.setattr("sympy.parsing.latex.parse_latex", no_antlr)
    monkeypatch.setitem(sys.modules, "latex2sympy2_extended", None)


def test_no_baseline_installed_says_what_to_install_and_exits_0(bench, monkeypatch, capsys):
    """Before: ZeroDivisionError when parse_latex had no ANTLR runtime."""
    _missing(monkeypatch)
    monkeypatch.setattr(sys, "argv", ["bench_parse.py", "--repeat", "1"])  # as run from the command line
    assert bench.main() == 0
    out = capsys.readouterr().out
    for baseline in bench.BASELINES:
        assert f"{baseline.name}: not installed" in out
        assert f"-m pip install '{baseline.requirement}'" in out
    assert "latex2sympy2_extended[antlr4-11-0]" in out and "antlr4-python3-runtime==4.11" in out
    assert "no baseline installed" in out and "x faster" not in out


def _stand_in(bench, name, parser, target):
    return bench.Baseline(name, lambda: parser, "stand-in==1", target)


def matrices_only(text):
    if "matrix" not in text:
        raise ValueError("not a matrix")


@pytest.mark.parametrize(("target", "code"), [(0.0, 0), (math.inf, 1)])
def test_an_installed_baseline_gets_a_ratio_and_its_target_decides(bench, capsys, target, code):
    picky = [_stand_in(bench, "picky", matrices_only, target)]
    assert bench.main(["--repeat", "1"], baselines=picky) == code
    out = capsys.readouterr().out
    assert "accepted by picky (timed side by side)" in out and "x faster" in out
    assert ("below target against: picky" in out) is (code == 1)


def test_a_baseline_that_accepts_nothing_is_reported_not_divided_by(bench, capsys):
    def refuses(text):
        raise ValueError(text)
    assert bench.main(["--repeat", "1"], baselines=[_stand_in(bench, "refuses", refuses, 10.0)]) == 0
    assert "refuses: accepts none of the" in capsys.readouterr().out
