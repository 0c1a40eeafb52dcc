"""Parse speed: grader.parse against the LaTeX-to-SymPy parsers a course might use instead, on the same strings.

Run: .venv/bin/python bench/bench_parse.py [--repeat N]

Baselines (each optional; ``pip install -e '.[bench]'`` installs both):

- SymPy's ``parse_latex`` (ANTLR; needs antlr4-python3-runtime 4.11), target: grader.parse >= 100x faster;
- ``latex2sympy2_extended`` (ANTLR; its ``antlr4-11-0`` extra matches the same runtime), target: >= 10x faster.

For each installed baseline, only the strings it accepts are timed, and grader.parse is timed on exactly those.
A baseline that is not installed is reported with the pip command that installs it; with none installed the
bench says so and exits 0. Exit 1 only when a measured ratio misses its target. The baselines call eval-free
ANTLR code but are baselines only: student text never reaches them in the grader.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from grader.parse import parse

Parser = Callable[[str], object]


@dataclass(frozen=True)
class Baseline:
    """A parser to compare against: how to load it (ImportError when missing), what installs it, the target."""

    name: str
    load: Callable[[], Parser]
    requirement: str
    target: float

    def install_command(self) -> str:
        return f"{sys.executable} -m pip install '{self.requirement}'"


def _parse_latex() -> Parser:
    from sympy.parsing.latex import parse_latex

    parse_latex("x")  # SymPy imports ANTLR on the first call: an ImportError here means no (or a wrong) runtime
    return parse_latex


def _latex2sympy() -> Parser:
    from latex2sympy2_extended import latex2sympy  # ImportError also for an ANTLR runtime it has no parser for

    return latex2sympy


BASELINES = (
    Baseline("parse_latex", _parse_latex, "antlr4-python3-runtime==4.11", 100.0),
    Baseline("latex2sympy2_extended", _latex2sympy, "latex2sympy2_extended[antlr4-11-0]==1.11.0", 10.0),
)


def answer_strings() -> list[str]:
    """Realistic answers: sums of B terms, output-size formulas, chain rules, pooling formulas, matrices."""
    b = [f"B_{{{i}{j}}}" for i in range(1, 4) for j in range(1, 4)]
    strings = [" + ".join(b[:k]) for k in range(1, 10)]
    strings += [f"{b[k]} + {b[k + 1]}" for k in range(8)]
    strings += [
        r"\frac{I-K+2P}{S} + 1",
        r"\left\lfloor \frac{I - K + 2P}{S} \right\rfloor + 1",
        r"O = \frac{I-K+2P}{S}+1",
        r"\frac{1}{N} \left( x_{1} + x_{2} + x_{3} + x_{4} \right)",
        r"\left( x_{1}^{p} + x_{2}^{p} + x_{3}^{p} + x_{4}^{p} \right)^{1/p}",
        r"\frac{\partial E}{\partial A_{24}}",
        r"\frac{\partial E}{\partial C_{12}} \frac{\partial C_{12}}{\partial A_{24}}",
        r"\frac{\partial E}{\partial C_{12}} \frac{\partial C_{12}}{\partial A_{24}} + "
        r"\frac{\partial E}{\partial C_{13}} \frac{\partial C_{13}}{\partial A_{24}}",
        r"\frac{\partial E}{\partial A_{24}} = \frac{\partial E}{\partial C_{12}} "
        r"\frac{\partial C_{12}}{\partial A_{24}} + \frac{\partial E}{\partial C_{13}} "
        r"\frac{\partial C_{13}}{\partial A_{24}}",
        r"4 \cdot 3 + 5 \cdot 5 + 2 \cdot 4",
        r"\frac{109 + 92 + 108 + 85}{4}",
        r"\sqrt{x^{2} + y^{2}}",
    ]
    rows = [[f"B_{{{i}{j}}} + B_{{{i}{j + 1}}}" for j in range(1, 4)] for i in range(1, 4)]
    strings += [
        r"\begin{bmatrix} 1 & 2 & 3 \\ 4 & 5 & 6 \\ 7 & 8 & 9 \end{bmatrix}",
        r"\begin{bmatrix}" + r" \\ ".join(" & ".join(row) for row in rows) + r"\end{bmatrix}",
        r"\begin{pmatrix} 49 & 58 & 57 \\ 58 & 56 & 51 \\ 55 & 46 & 52 \end{pmatrix}",
    ]
    return strings


def accepted_by(strings: list[str], function: Parser) -> list[str]:
    """The strings ``function`` parses without raising (a baseline's own errors skip the string)."""
    ok = []
    for text in strings:
        try:
            function(text)
        except Exception:  # noqa: BLE001 (LaTeXParsingError, ANTLR errors, whatever a baseline raises)
            continue
        ok.append(text)
    return ok


def per_string_seconds(function: Parser, strings: list[str], repeat: int) -> float:
    """Mean seconds per call over ``repeat`` passes; ``strings`` must not be empty."""
    start = time.perf_counter()
    for _ in range(repeat):
        for text in strings:
            function(text)
    return (time.perf_counter() - start) / (repeat * len(strings))


def main(argv: Sequence[str] | None = None, baselines: Sequence[Baseline] = BASELINES) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes over the strings (default 5)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    strings = answer_strings()
    for text in strings:  # warm grader.parse (first-call setup is not what we compare)
        parse(text)
    measured, missed, read = 0, [], set()
    for baseline in baselines:
        try:
            function = baseline.load()
        except ImportError as err:
            print(f"{baseline.name}: not installed ({str(err).splitlines()[0]}); to measure against it: "
                  f"{baseline.install_command()}")
            continue
        common = accepted_by(strings, function)
        if not common:
            print(f"{baseline.name}: accepts none of the {len(strings)} answer strings; nothing to compare")
            continue
        read.update(common)
        ours = per_string_seconds(parse, common, args.repeat * 20)
        theirs = per_string_seconds(function, common, args.repeat)
        ratio = theirs / ours
        print(f"{len(common)} of {len(strings)} answer strings accepted by {baseline.name} (timed side by side)")
        print(f"  grader.parse            {ours * 1e6:9.1f} µs per string")
        print(f"  {baseline.name:<22}  {theirs * 1e6:9.1f} µs per string")
        print(f"  ratio                   {ratio:9.1f}x faster (target >= {baseline.target:g}x)")
        measured += 1
        if ratio < baseline.target:
            missed.append(baseline.name)
    if not measured:
        print("no baseline installed, so no ratio: install one with a command above (or pip install -e '.[bench]')")
        return 0
    rest = [s for s in strings if s not in read]
    if rest:
        only_ours = per_string_seconds(parse, rest, args.repeat * 20)
        print(f"{len(rest)} strings only grader.parse reads: {only_ours * 1e6:.1f} µs per string")
    if missed:
        print(f"below target against: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
