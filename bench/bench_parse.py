"""Parse speed: grader.parse against sympy.parsing.latex.parse_latex (ANTLR) on the same answer strings.

Run: .venv/bin/python bench/bench_parse.py [--repeat N]

Only strings parse_latex accepts are timed for the ratio (both parsers see exactly the same list); the
strings only grader.parse reads are timed separately. parse_latex calls eval-free ANTLR code but is the
baseline only: student text never reaches it in the grader.
"""

from __future__ import annotations

import argparse
import time
import warnings

from grader.parse import parse


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


def accepted_by_parse_latex(strings: list[str], parse_latex) -> list[str]:
    ok = []
    for text in strings:
        try:
            parse_latex(text)
        except Exception:  # the baseline's own errors (LaTeXParsingError, ANTLR errors): skip the string
            continue
        ok.append(text)
    return ok


def per_string_seconds(function, strings: list[str], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        for text in strings:
            function(text)
    return (time.perf_counter() - start) / (repeat * len(strings))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes over the strings (default 5)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    from sympy.parsing.latex import parse_latex

    strings = answer_strings()
    common = accepted_by_parse_latex(strings, parse_latex)
    for text in common:  # warm both (first-call setup is not what we compare)
        parse(text)
    ours = per_string_seconds(parse, common, args.repeat * 20)
    theirs = per_string_seconds(parse_latex, common, args.repeat)
    rest = [s for s in strings if s not in common]
    print(f"{len(common)} of {len(strings)} answer strings accepted by parse_latex (timed side by side)")
    print(f"grader.parse      {ours * 1e6:9.1f} µs per string")
    print(f"parse_latex       {theirs * 1e6:9.1f} µs per string")
    print(f"ratio             {theirs / ours:9.1f}x faster (target >= 100x)")
    if rest:
        only_ours = per_string_seconds(parse, rest, args.repeat * 20)
        print(f"{len(rest)} strings only grader.parse reads: {only_ours * 1e6:.1f} µs per string")
    return 0 if theirs / ours >= 100 else 1


if __name__ == "__main__":
    raise SystemExit(main())
