"""Pooling formulas (1.2b) and LP limits (1.2d), judged on a concrete window.

A formula over a window ``S_ij`` is understood by instantiating the window: every ``\\max``/``\\sum`` over
``(p, q) \\in S_{ij}`` (or ``x \\in S``, or ``i = 1..N``) is expanded over the cells of the spec's first pooling
window, names for the window size (N, n, K, k) get their values, and what is left are the window's entries.
All three poolings are symmetric in the entries, so the formula is evaluated at seeded values and compared with
the engine's max_pool2d / avg_pool2d / lp_pool2d (PyTorch's LP and the normalised power mean) on those values.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from functools import cache, cached_property
from typing import Any

import sympy

from grader.checkers.common import graded, tex
from grader.checkers.reference import Reference
from grader.checkers.values import UnreadableAnswer, read, read_expression
from grader.compare import SEED, evaluate, same_values
from grader.diagnose import Finding
from grader.errors import ParseError
from grader.parse import Approach, Equation, WindowReduce
from grader.result import PartResult
from symconv.limits import prove_max_limit, prove_p1
from symconv.pooling import avg_pool2d, lp_pool2d, max_pool2d, pool_windows
from symconv.spec import Part

KINDS = ("max", "avg", "lp")
KIND_WORDS = {"max": "max", "maximum": "max", "avg": "avg", "average": "avg", "mean": "avg", "lp": "lp"}
COUNT_NAMES = {"N", "n"}          # the number of cells in a window
SIDE_NAMES = {"K", "k"}           # the side of a square window
NORM_NAMES = {"p", "P"}           # LP's exponent
P_VALUES = (sympy.Integer(2), sympy.Integer(3), sympy.Rational(5, 2))
SAMPLES = 3


def _window_symbol(k: int) -> sympy.Symbol:
    return sympy.Symbol(f"window_{k}", real=True)


class Window:
    """The spec's first pooling window: its shape, cells, seeded values and the engine's pooled values."""

    def __init__(self, ref: Reference):
        pool = ref.spec.pooling
        shape = ref.solution.pool_input.shape if pool else (2, 2)
        kernel = pool.kernel_size if pool else (2, 2)
        first = pool_windows(shape, kernel, pool.stride if pool else None)[0][0]
        self.kernel = kernel
        self.cells = [(a + 1, b + 1) for a, b in first.cells]
        self.n = len(self.cells)
        rng = random.Random(f"{SEED}:window")
        self.values = [[sympy.Rational(rng.randint(11, 97), rng.randint(3, 9)) for _ in range(self.n)]
                       for _ in range(SAMPLES)]

    def _matrix(self, values: list[sympy.Expr]) -> sympy.Matrix:
        return sympy.Matrix(self.kernel[0], self.kernel[1], values)

    def _p_values(self, kind: str) -> tuple[sympy.Expr, ...]:
        return P_VALUES if kind.startswith("lp") else P_VALUES[:1]   # only LP depends on p

    @cached_property
    def expected(self) -> dict[str, list[complex | None]]:
        """The engine's pooled value per point (for LP also per exponent), both LP definitions."""
        out: dict[str, list[complex | None]] = {}
        for kind in ("max", "avg", "lp-torch", "lp-normalized"):
            values = []
            for vals in self.values:
                m = self._matrix(vals)
                for p in self._p_values(kind):
                    pooled = (max_pool2d(m, self.kernel) if kind == "max" else avg_pool2d(m, self.kernel)
                              if kind == "avg" else lp_pool2d(m, p, self.kernel, norm=kind[3:]))
                    values.append(evaluate(pooled[0, 0], {}))
            out[kind] = values
        return out

    def points(self, names: list[str], kind: str) -> list[dict[str, sympy.Expr]]:
        """Evaluation points, as Floats (fast to evaluate): the window's entries (in the order given) and the
        parameters."""
        side = sympy.Float(self.n ** 0.5) if self.kernel[0] == self.kernel[1] else None
        out = []
        for vals in self.values:
            for p in self._p_values(kind):
                point = dict(zip(names, map(sympy.Float, vals)))
                point.update({n: sympy.Float(p) for n in NORM_NAMES})
                point.update({n: sympy.Float(self.n) for n in COUNT_NAMES})
                if side is not None:
                    point.update({n: side for n in SIDE_NAMES})
                out.append(point)
        return out


def _flatten_indexed(expr: sympy.Basic) -> sympy.Basic:
    """``x[1, 2]`` -> symbol ``x_1,2``: instantiated entries become plain symbols, whatever their letter."""
    mapping = {item: sympy.Symbol(f"{item.base.label}_" + ",".join(map(str, item.indices)), real=True)
               for item in expr.atoms(sympy.Indexed) if all(k.is_Integer for k in item.indices)}
    return expr.xreplace(mapping)


def instantiate(expr: sympy.Expr, window: Window) -> sympy.Expr:
    """Expand every window reduction over the concrete window's cells."""
    mapping = {}
    for w in expr.atoms(WindowReduce):
        if len(w.bound) == 2:
            values: list[Any] = window.cells
        elif isinstance(w.domain, sympy.Tuple):
            lo = int(w.domain[0]) if w.domain[0].is_Integer else 1
            values = list(range(lo, lo + window.n))
        else:
            values = [_window_symbol(k) for k in range(1, window.n + 1)]
        mapping[w] = _expand(w, values)
    return _flatten_indexed(expr.xreplace(mapping))


def _expand(w: WindowReduce, values: list[Any]) -> sympy.Expr:
    """``w.expand(values)`` without SymPy's Max simplification of symbolic arguments (slow, and the numbers
    substituted later decide anyway)."""
    terms = []
    for value in values:
        value = value if isinstance(value, tuple | list) else (value,)
        value = [sympy.Integer(v) if isinstance(v, int) else v for v in value]
        terms.append(w.body.xreplace(dict(zip(w.bound, value))))
    if w.op == "sum":
        return sympy.Add(*terms)
    return (sympy.Max if w.op == "max" else sympy.Min)(*terms, evaluate=False)


def _entries(expr: sympy.Expr) -> list[str]:
    params = NORM_NAMES | COUNT_NAMES | SIDE_NAMES
    return sorted(s.name for s in expr.free_symbols if isinstance(s, sympy.Symbol) and s.name not in params)


def _window(ref: Reference) -> Window:
    return ref.memo("pool-window", lambda: Window(ref))


@cache
def _proved(kind: str, n: int) -> bool:
    """The engine's verified proof that the power mean of n entries gives ``kind`` pooling (p -> oo or p = 1)."""
    return (prove_max_limit(n) if kind == "max" else prove_p1(n)).verified


def _by_kind(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise UnreadableAnswer("expected one answer per pooling: {max: ..., avg: ..., lp: ...}")
    return {KIND_WORDS.get(str(k).strip().lower(), str(k)): v for k, v in answer.items()}


def _answers(given: dict[str, Any], kinds: Iterable[str], read_one: Callable[[Any], Any],
             lines: list[str]) -> Iterator[tuple[str, Any]]:
    """(kind, value) for each kind answered readably; a feedback line for each one missing or unreadable."""
    for kind in kinds:
        if kind not in given:
            lines.append(f"{kind}: no answer")
            continue
        try:
            value = read_one(given[kind])
        except (ParseError, UnreadableAnswer) as error:
            lines.append(f"{kind}: " + str(error).replace("could not read your answer", "could not read it"))
            continue
        yield kind, value


def check_formulas(ref: Reference, part: Part, answer: Any) -> PartResult:
    window = _window(ref)
    given = _by_kind(answer)
    share = part.points / len(KINDS)
    score, lines, findings, notes, shown = 0.0, [], [], [], []
    for kind, expr in _answers(given, KINDS, read_expression, lines):
        shown.append(f"\\text{{{kind}: }} {tex(expr)}")
        concrete = instantiate(expr, window)
        names = _entries(concrete)
        if len(names) != window.n:
            lines.append(f"{kind}: on a window of {window.n} entries your formula uses {len(names)} of them")
            continue
        keys = ["lp-torch", "lp-normalized"] if kind == "lp" else [kind]
        values = [evaluate(concrete, pt) for pt in window.points(names, keys[0])]
        match = next((k for k in keys if same_values(values, window.expected[k], ref.tolerance)), None)
        if match == "lp-normalized":
            score += share * (1.0 - ref.cost("lp-normalisation"))
            findings.append(Finding("lp-normalisation"))
        elif match is not None:
            score += share
            if kind == "lp":
                notes.append("your LP formula is PyTorch's definition (no 1/N)")
        else:
            lines.append(f"{kind}: on a window of {window.n} entries your formula does not give {kind} pooling")
    return graded(part, score, lines=lines, findings=findings, notes=notes, given_latex=r" \\ ".join(shown))


# ---- 1.2d: p = 1 and p -> oo -----------------------------------------------------------------------------
def _claimed(value: Any) -> sympy.Expr:
    """The exponent a limit answer names: ``p = 1``, ``p \\to \\infty``, or just ``1`` / ``\\infty``."""
    if not isinstance(value, str):
        return read_expression(value)
    try:
        result = read(value, "limit")
    except ParseError:
        result = read(value, "expr")
    if isinstance(result, Approach):
        return result.value
    if isinstance(result, Equation):
        return result.sides[-1]
    return result


def check_limits(ref: Reference, part: Part, answer: Any) -> PartResult:
    window = _window(ref)
    given = _by_kind(answer)
    kinds = ("avg", "max")
    share = part.points / len(kinds)
    score, lines, notes = 0.0, [], []
    for kind, p in _answers(given, kinds, _claimed, lines):
        if _gives(kind, p, window):
            score += share
            if kind == "avg":
                notes.append("p = 1 gives the average for the normalised LP (power mean); PyTorch's LPPool2d "
                             "gives the sum of the window there, N times the average")
        else:
            lines.append(f"{kind}: p = {tex(p)} does not give {kind} pooling")
    return graded(part, score, lines=lines, notes=notes,
                  expected_latex=r"\text{avg: } p = 1,\quad \text{max: } p \to \infty")


def _gives(kind: str, p: sympy.Expr, window: Window) -> bool:
    """Does the normalised LP at exponent ``p`` (a limit when p is infinite) equal ``kind`` pooling, for every
    window? Only two claims hold, and both rest on the engine's verified proofs: p -> oo gives max, and p = 1
    gives the average. A finite p, however large, is not max pooling (M_p < max unless the entries are equal)."""
    if p == sympy.oo:
        return kind == "max" and _proved("max", window.n)
    return kind == "avg" and p == 1 and _proved("avg", window.n)


def warm(ref: Reference, part: Part) -> None:
    window = _window(ref)
    window.expected  # noqa: B018
    if part.task == "lp-limits":
        _proved("max", window.n), _proved("avg", window.n)


check_formulas.warm = warm  # type: ignore[attr-defined]
check_limits.warm = warm  # type: ignore[attr-defined]
