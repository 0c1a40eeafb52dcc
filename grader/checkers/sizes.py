"""Output size (1.1a) and the output-size formula (1.1b).

The formula is compared with the engine's ``output_size_expr()`` at seeded valid integer points (I, K, P, S, D);
a mismatch is compared with the formula recomputed without dilation, without floor, with ceiling and off by one
(``grader.diagnose.formula_alternatives``), and each matching variant's codes cost what the rubric says.
"""

from __future__ import annotations

import random
from functools import cache
from typing import Any

import sympy

from grader.checkers.common import credit, graded, tex
from grader.checkers.reference import Reference
from grader.checkers.values import read_expression, read_size
from grader.compare import SEED, evaluate, same_values
from grader.diagnose import Finding, needs_dilation
from grader.result import PartResult
from symconv.sizes import output_size_expr
from symconv.spec import Part

NAMES = ("I", "K", "P", "S", "D")
#: Other ways students name the sizes; matched case-insensitively after dropping a word subscript (I_in).
ALIASES = {"i": "I", "k": "K", "p": "P", "s": "S", "d": "D", "n": "I", "w": "I", "h": "I", "f": "K"}


def _size_latex(size: tuple[int, int]) -> str:
    return f"{size[0]} \\times {size[1]}"


def check_size(ref: Reference, part: Part, answer: Any) -> PartResult:
    given = read_size(answer)
    expected = ref.solution.output_shape
    shown = dict(expected_latex=_size_latex(expected), given_latex=_size_latex(given))
    if given == expected:
        return graded(part, part.points, **shown)
    matched = [a for a in ref.alternatives(part.task) if a.value == given]
    best = max((1.0 - ref.cost(a.code) for a in matched), default=0.0)
    return graded(part, best * part.points, findings=[Finding(a.code, a.assumption) for a in matched], **shown)


@cache
def size_points(dilation: bool, count: int = 16) -> tuple[dict[str, sympy.Integer], ...]:
    """Seeded valid configurations (the kernel fits in the padded input), with D = 1 unless ``dilation``."""
    rng = random.Random(f"{SEED}:sizes:{dilation}")
    points = []
    while len(points) < count:
        i, k, p, s = rng.randint(3, 40), rng.randint(1, 7), rng.randint(0, 3), rng.randint(1, 4)
        d = rng.randint(1, 3) if dilation else 1
        if d * (k - 1) + 1 <= i + 2 * p:
            points.append({n: sympy.Integer(v) for n, v in zip(NAMES, (i, k, p, s, d))})
    return tuple(points)


def _canonical_names(expr: sympy.Expr) -> tuple[sympy.Expr, list[str]]:
    """Rename the student's size symbols to I, K, P, S, D; return the renamed formula and unknown names."""
    mapping, unknown = {}, []
    for sym in expr.free_symbols:
        name = getattr(sym, "name", str(sym)).split("_")[0]
        target = name if name in NAMES else ALIASES.get(name.lower())
        if target is None:
            unknown.append(str(sym))
        else:
            mapping[sym] = sympy.Symbol(target, real=True)
    return expr.xreplace(mapping), sorted(unknown)


@cache
def _variant_values() -> list[tuple[list[str], bool, list[complex | None]]]:
    """(codes, uses D, values at the points) for the reference (no codes) and every recomputed mistake."""
    from grader.diagnose import formula_alternatives

    variants = [([], output_size_expr())] + [(a.code.split(), a.value) for a in formula_alternatives()]
    out = []
    for codes, expr in variants:
        uses_d = needs_dilation(expr)
        out.append((codes, uses_d, [evaluate(expr, pt) for pt in size_points(uses_d)]))
    return out


def check_formula(ref: Reference, part: Part, answer: Any) -> PartResult:
    given = read_expression(answer)
    renamed, unknown = _canonical_names(given)
    shown = dict(expected_latex=tex(output_size_expr()), given_latex=tex(given))
    if unknown:
        return graded(part, 0.0, lines=[f"unknown symbols {', '.join(unknown)}: write the formula in I, K, P, S "
                                        "and D"], **shown)
    has_d = any(getattr(s, "name", "") == "D" for s in renamed.free_symbols)
    values = {uses_d: [evaluate(renamed, pt) for pt in size_points(uses_d)] for uses_d in (True, False)}
    for codes, uses_d, expected in _variant_values():
        if uses_d != has_d and codes:   # a variant without D only explains a formula without D
            continue
        if same_values(values[uses_d], expected, ref.tolerance):
            findings = [Finding(c, "D = 1" if c == "dilation-missing" else "") for c in codes]
            return graded(part, credit(codes, ref.cost) * part.points, findings=findings, **shown)
    return graded(part, 0.0, **shown)


def warm(ref: Reference, part: Part) -> None:
    if part.task == "output-size":
        ref.alternatives(part.task)
    else:
        _variant_values()


check_size.warm = warm  # type: ignore[attr-defined]
check_formula.warm = warm  # type: ignore[attr-defined]
