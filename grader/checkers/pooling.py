"""Pooling formulas (1.2b) and LP limits (1.2d), judged on concrete windows.

A formula over a window ``S_ij`` is understood by instantiating the window: every ``\\max``/``\\sum`` over
``(p, q) \\in S_{ij}`` (or ``x \\in S``) is expanded over the window's cells, a sum or maximum with explicit bounds
(``\\sum_{i=1}^{K}``, ``\\sum_{p=1}^{K}\\sum_{q=1}^{K}``) runs over exactly those bounds, names for the window size
(N, n for the count, K, k for the side) get their values, and what is left are the window's entries. All three
poolings are symmetric in the entries, so the formula is evaluated at values drawn from the course seed (for max
and average also negative values, zeros and a tied maximum, so an LP with a large p is not max pooling) and
compared with the engine's max_pool2d / avg_pool2d / lp_pool2d (PyTorch's LP and the normalised power mean).

The question asks for the formula of any window, so a formula right on the spec's window is checked again on a
window one larger on each side; one that holds only for the spec's size (``\\frac{1}{4}\\sum``) is diagnosed
``hard-coded-window-size``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from functools import cache, cached_property
from typing import Any

import sympy
from sympy.core.function import AppliedUndef

from grader.checkers.common import graded, pooling_kind, tex
from grader.checkers.reference import Reference
from grader.checkers.values import Log, UnreadableAnswer, read
from grader.compare import evaluate, same_values
from grader.diagnose import Finding
from grader.errors import ParseError
from grader.parse import Approach, Equation, WindowReduce
from grader.result import PartResult
from symconv.limits import prove_max_limit, prove_p1
from symconv.pooling import avg_pool2d, lp_pool2d, max_pool2d
from symconv.spec import Part

KINDS = ("max", "avg", "lp")
COUNT_NAMES = {"N", "n"}          # the number of cells in a window
SIDE_NAMES = {"K", "k", "kH", "kW", "k_H", "k_W", "K_H", "K_W"}   # the side of a square window (kH, kW: PyTorch)
NORM_NAMES = {"p", "P"}           # LP's exponent
P_VALUES = (sympy.Integer(2), sympy.Integer(3), sympy.Rational(5, 2))


def _window_symbol(k: int) -> sympy.Symbol:
    return sympy.Symbol(f"window_{k}", real=True)


class Window:
    """A kh x kw pooling window: its cells (1-based), values drawn from ``seed`` and the engine's pooled values.

    Max and average are checked on three samples: distinct positive values; signed values with a zero and a
    tied maximum; all negative. LP (a root of a sum of powers) on positive values only, one sample with a tie.
    """

    def __init__(self, kernel: tuple[int, int], seed: str):
        self.kernel = kernel
        self.cells = [(a + 1, b + 1) for a in range(kernel[0]) for b in range(kernel[1])]
        self.n = len(self.cells)
        rng = random.Random(f"{seed}:window:{kernel}")
        positive = [sympy.Rational(rng.randint(11, 97), rng.randint(3, 9)) for _ in range(self.n)]
        signed = [sympy.Rational(rng.randint(-97, 97), rng.randint(3, 9)) for _ in range(self.n)]
        signed[0] = sympy.Integer(0)
        top = max(signed)
        signed[-1] = top if self.n > 2 else signed[-1]   # a tied maximum
        negative = [-sympy.Rational(rng.randint(11, 97), rng.randint(3, 9)) for _ in range(self.n)]
        tied = [sympy.Rational(rng.randint(11, 97), rng.randint(3, 9)) for _ in range(self.n)]
        tied[-1] = max(tied)
        self.samples = {"plain": [positive, signed, negative], "lp": [positive, tied]}

    def _values(self, kind: str) -> list[list[sympy.Expr]]:
        return self.samples["lp" if kind.startswith("lp") else "plain"]

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
            for vals in self._values(kind):
                m = self._matrix(vals)
                for p in self._p_values(kind):
                    pooled = (max_pool2d(m, self.kernel) if kind == "max" else avg_pool2d(m, self.kernel)
                              if kind == "avg" else lp_pool2d(m, p, self.kernel, norm=kind[3:]))
                    values.append(evaluate(pooled[0, 0], {}))
            out[kind] = values
        return out

    @property
    def side(self) -> sympy.Integer | None:
        """The window's side when it is square (a formula may use K for it), else None."""
        return sympy.Integer(self.kernel[0]) if self.kernel[0] == self.kernel[1] else None

    def parameters(self) -> dict[sympy.Symbol, sympy.Expr]:
        """The window-size names and their values here (N, n: the count; K, k: the side of a square window)."""
        out = {sympy.Symbol(n, real=True): sympy.Integer(self.n) for n in COUNT_NAMES}
        if self.side is not None:
            out.update({sympy.Symbol(n, real=True): self.side for n in SIDE_NAMES})
        return out

    def points(self, names: list[str], kind: str) -> list[dict[str, sympy.Expr]]:
        """Evaluation points, as Floats (fast to evaluate): the window's entries (in the order given) and the
        parameters."""
        out = []
        for vals in self._values(kind):
            for p in self._p_values(kind):
                point = dict(zip(names, map(sympy.Float, vals)))
                point.update({n: sympy.Float(p) for n in NORM_NAMES})
                point.update({s.name: sympy.Float(v) for s, v in self.parameters().items()})
                out.append(point)
        return out


def _flatten_indexed(expr: sympy.Basic) -> sympy.Basic:
    """``x[1, 2]`` -> symbol ``x_1,2``: instantiated entries become plain symbols, whatever their letter."""
    mapping = {item: sympy.Symbol(f"{item.base.label}_" + ",".join(map(str, item.indices)), real=True)
               for item in expr.atoms(sympy.Indexed) if all(k.is_Integer for k in item.indices)}
    return expr.xreplace(mapping)


def _bounds(domain: sympy.Tuple, window: Window) -> range | None:
    """The integers ``i = lo .. hi`` run over, with the window's size names substituted; None if not integers."""
    lo, hi = (sympy.sympify(b, strict=True).xreplace(window.parameters()) for b in domain)
    lo, hi = (b.xreplace({a: window.n for a in b.atoms(sympy.Abs)}) for b in (lo, hi))   # |S|: the count
    if not (lo.is_Integer and hi.is_Integer) or not 0 <= hi - lo < 10 * window.n + 10:
        return None
    return range(int(lo), int(hi) + 1)


def instantiate(expr: sympy.Expr, window: Window) -> sympy.Expr:
    """Expand every window reduction over the concrete window's cells, innermost first; explicit bounds are
    used as written (``\\sum_{i=1}^{K} x_i`` has K terms, not one per cell)."""
    for _ in range(6):
        mapping = {}
        for w in expr.atoms(WindowReduce):
            if w.body.has(WindowReduce):
                continue
            if len(w.bound) == 2:
                values: list[Any] = window.cells
            elif isinstance(w.domain, sympy.Tuple):
                bounds = _bounds(w.domain, window)
                lo = int(w.domain[0]) if w.domain[0].is_Integer else 1
                values = list(bounds) if bounds is not None else list(range(lo, lo + window.n))
            else:
                values = [_window_symbol(k) for k in range(1, window.n + 1)]
            mapping[w] = _expand(w, values, window)
        if not mapping:
            break
        expr = expr.xreplace(mapping)
    return _concrete(expr, window)


def _concrete(expr: sympy.Expr, window: Window, position: bool = True) -> sympy.Expr:
    """The window's size names by their values, entries as plain symbols, and with ``position`` (once no
    reduction is left to bind an index) the window's position at 0 (X_{i+m, j+n} over offsets m, n: any window
    will do). Applied to each term before a max is built: rebuilding a Max of symbols makes SymPy compare them,
    which is slow."""
    expr = expr.xreplace(window.parameters())
    if position:
        corner = {s: sympy.Integer(0) for item in expr.atoms(sympy.Indexed) for k in item.indices
                  for s in k.free_symbols if isinstance(s, sympy.Symbol)}
        expr = expr.xreplace(corner) if corner else expr
    return _flatten_indexed(expr)


def _expand(w: WindowReduce, values: list[Any], window: Window) -> sympy.Expr:
    """``w.expand(values)`` without SymPy's Max simplification of symbolic arguments (slow, and the numbers
    substituted later decide anyway)."""
    terms = []
    for value in values:
        value = value if isinstance(value, tuple | list) else (value,)
        value = [sympy.Integer(v) if isinstance(v, int) else v for v in value]
        terms.append(_concrete(w.body.xreplace(dict(zip(w.bound, value))), window, position=False))
    if not terms:
        return sympy.Integer(0)
    if w.op == "sum":
        return sympy.Add(*terms)
    return (sympy.Max if w.op == "max" else sympy.Min)(*terms, evaluate=False)


def _entries(expr: sympy.Expr) -> list[str]:
    params = NORM_NAMES | COUNT_NAMES | SIDE_NAMES
    return sorted(s.name for s in expr.free_symbols if isinstance(s, sympy.Symbol) and s.name not in params)


def _window(ref: Reference, part: Part, grow: int = 0) -> Window:
    """The spec's pooling window (``grow`` cells larger on each side), with the part's seed."""
    pool = ref.spec.pooling
    kernel = pool.kernel_size if pool else (2, 2)
    kernel = (kernel[0] + grow, kernel[1] + grow)
    return ref.memo(f"pool-window:{part.id}:{kernel}", lambda: Window(kernel, ref.seed_for(part.id)))


@cache
def _proved(kind: str, n: int) -> bool:
    """The engine's verified proof that the power mean of n entries gives ``kind`` pooling (p -> oo or p = 1)."""
    return (prove_max_limit(n) if kind == "max" else prove_p1(n)).verified


def _by_kind(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise UnreadableAnswer("expected one answer per pooling: {max: ..., avg: ..., lp: ...}")
    return {pooling_kind(k): v for k, v in answer.items()}


def _answers(given: dict[str, Any], kinds: Iterable[str], read_one: Callable[[Any, Log], Any],
             lines: list[str], review: list[str], log: Log) -> Iterator[tuple[str, Any, list[str]]]:
    """(kind, value, the reading's notes) for each kind answered and read with certainty; a feedback line for
    each one missing. One that cannot be read, or only by a guess, goes to ``review`` (a person reads it, the
    grader gives no verdict) and its reading's notes to ``log``; a graded piece's notes are the checker's to
    show (only when the piece is not right: a note on a right answer teaches nothing)."""
    for kind in kinds:
        if kind not in given or given[kind] is None or str(given[kind]).strip() == "":
            lines.append(f"{kind}: no answer")
            continue
        piece = Log()
        try:
            value = read_one(given[kind], piece)
        except (ParseError, UnreadableAnswer) as error:
            lines.append(f"{kind}: " + str(error).replace("could not read your answer", "could not read it"))
            review.append(f"your {kind} answer")
            log.notes += piece.notes
            continue
        if piece.guessed:
            review.append(f"your {kind} answer")
            log.notes += piece.notes
            continue
        yield kind, value, piece.notes


def _is_name(side: Any) -> bool:
    """A side that names the answer rather than giving it: ``Y^k_{ij}``, ``O``, ``Y``, ``f(X)``,
    ``\\text{out}(N_i, C_j, h, w)``."""
    return (isinstance(side, sympy.Symbol | sympy.Indexed | AppliedUndef) and not isinstance(side, WindowReduce))


def _sides(value: Any, context: Any, log: Log) -> list[sympy.Expr]:
    """The sides of a formula answer that give it (names dropped), in order; the last is the answer."""
    if not isinstance(value, str):
        from grader.checkers.values import read_expression
        return [read_expression(value)]
    result = read(value, "equation", context, log)
    sides = list(result.sides) if isinstance(result, Equation) else [result]
    given = [side for side in sides if not _is_name(side)] or sides[-1:]
    if not all(isinstance(side, sympy.Expr) for side in given):
        raise UnreadableAnswer("expected a formula")
    return given


def _judge(expr: sympy.Expr, kind: str, window: Window, tolerance: Any) -> str | None:
    """Which pooling ``expr`` gives on ``window``: "max", "avg", "lp-torch", "lp-normalized", or None.

    A limit of an LP formula in its exponent is judged by the engine's proofs: p -> oo gives max (either LP),
    p -> 1 of the normalised LP gives the average."""
    if isinstance(expr, sympy.Limit):
        inner, var, point = expr.args[0], expr.args[1], expr.args[2]
        if getattr(var, "name", None) not in NORM_NAMES or kind not in ("max", "avg"):
            return None
        lp = _judge(inner, "lp", window, tolerance)
        if point == sympy.oo and lp is not None and kind == "max" and _proved("max", window.n):
            return "max"
        if point == 1 and lp == "lp-normalized" and kind == "avg" and _proved("avg", window.n):
            return "avg"
        return None
    concrete = instantiate(expr, window)
    names = _entries(concrete)
    if len(names) != window.n:
        return None
    keys = ["lp-torch", "lp-normalized"] if kind == "lp" else [kind]
    values = [evaluate(concrete, pt) for pt in window.points(names, keys[0])]
    return next((k for k in keys if same_values(values, window.expected[k], tolerance)), None)


def _uses_window_size(expr: sympy.Expr) -> bool:
    """Does a formula name the window's size (N, n, K, k, |S|) anywhere, bounds included?"""
    names = {s.name for s in expr.atoms(sympy.Symbol)}
    return bool(names & (COUNT_NAMES | SIDE_NAMES)) or bool(expr.atoms(sympy.Abs))


def _formula_verdict(expr: sympy.Expr, kind: str, windows: tuple[Window, Window], tolerance: Any) -> list[str]:
    """The codes of one formula: [] right, ["lp-normalisation"], ["hard-coded-window-size"] (right on the spec's
    window, wrong on another, and naming no window size: the size is built in), or ["wrong"] (also a formula
    that names the size but is right on this window by coincidence, like 1/(K + K) for 1/K^2)."""
    here = _judge(expr, kind, windows[0], tolerance)
    if here is None:
        return ["wrong"]
    codes = ["lp-normalisation"] if here == "lp-normalized" else []
    if _judge(expr, kind, windows[1], tolerance) != here:
        return ["wrong"] if _uses_window_size(expr) else codes + ["hard-coded-window-size"]
    return codes


def check_formulas(ref: Reference, part: Part, answer: Any) -> PartResult:
    """Each pooling formula (max, average, LP) evaluated on the spec's sample windows against the engine's value;
    a formula for this window's size only is diagnosed ``hard-coded-window-size``."""
    windows = (_window(ref, part), _window(ref, part, grow=1))
    given = _by_kind(answer)
    share = part.points / len(KINDS)
    log = Log()
    context = ref.context(part.task)
    score = 0.0
    lines: list[str] = []
    findings: list[Finding] = []
    notes: list[str] = []
    shown: list[str] = []
    review: list[str] = []
    for kind, sides, read_notes in _answers(given, KINDS, lambda v, piece: _sides(v, context, piece), lines, review,
                                            log):
        shown.append(f"\\text{{{kind}: }} {tex(sides[-1])}")
        verdicts = [_formula_verdict(side, kind, windows, ref.tolerance) for side in sides]
        codes = verdicts[-1]
        if "hard-coded-window-size" in codes and any(v in ([], ["lp-normalisation"]) for v in verdicts[:-1]):
            codes = next(v for v in verdicts[:-1] if v in ([], ["lp-normalisation"]))   # the general form is there
        if any((verdict == ["wrong"]) != (codes == ["wrong"]) for verdict in verdicts[:-1]):
            # two formulas set equal that give different poolings: which one is the answer is for a person
            lines.append(f"{kind}: the sides of your equation give different results")
            review.append(f"your {kind} answer")
            log.notes += read_notes
            continue
        if codes == ["wrong"]:
            lines.append(f"{kind}: on a window of {windows[0].n} entries your formula does not give {kind} pooling")
            log.notes += read_notes
            continue
        score += share * (1.0 - sum(ref.cost(c) for c in codes))
        findings += [Finding(c, kind) for c in codes]
        if any(ref.cost(c) > 0 for c in codes):
            log.notes += read_notes
    notes += log.notes
    return graded(part, score, lines=lines, findings=findings, notes=notes, given_latex=r" \\ ".join(shown),
                  cost=ref.cost, review=review, raw=answer)


# ---- 1.2d: p = 1 and p -> oo -----------------------------------------------------------------------------
class _Range(Exception):
    """A relation such as p >= 1: a range of exponents, not the one that gives the pooling."""


def _claimed(value: Any, context: Any = None, log: Log | None = None) -> tuple[sympy.Basic | None, sympy.Expr]:
    """(the variable, the value it is set to or tends to) of a limit answer: ``p = 1``, ``p \\to \\infty``; a bare
    ``1`` or ``\\infty`` names no variable (None). A relation with a finite bound (``p \\geq 1``) is a range
    (``_Range``); one with an infinite bound (``p \\geq \\infty``) is for a person to read."""
    if not isinstance(value, str):
        from grader.checkers.values import read_expression
        return None, read_expression(value)
    try:
        result = read(value, "limit", context, log)
    except ParseError:
        result = read(value, "expr", context, log)
    if isinstance(result, Approach):
        return result.var, result.value
    if isinstance(result, sympy.Limit):
        return result.args[1], result.args[2]
    if isinstance(result, Equation):
        limits = [side for side in result.sides if isinstance(side, sympy.Limit)]
        if len(limits) == 1:   # lim_{p -> oo} M_p = max ...: the claim is the limit's variable and point
            return limits[0].args[1], limits[0].args[2]
        if len(result.sides) == 1:
            return None, result.sides[0]
        exponents = [s for s in result.sides if isinstance(s, sympy.Symbol) and s.name in NORM_NAMES]
        others = [s for s in result.sides if s not in exponents]
        if len(result.sides) == 2 and len(exponents) == 1 and len(others) == 1:
            return exponents[0], others[0]
        names = [s for s in result.sides if isinstance(s, sympy.Symbol)]
        if len(result.sides) == 2 and names:
            return names[0], next(s for s in result.sides if s is not names[0])
        raise UnreadableAnswer("expected p = <value> or p \\to \\infty")
    if isinstance(result, sympy.core.relational.Relational):
        if any(side.has(sympy.oo, -sympy.oo, sympy.zoo) for side in result.args):
            raise UnreadableAnswer("a relation with infinity is not a limit; expected p \\to \\infty")
        raise _Range(tex(result))
    if not isinstance(result, sympy.Expr):
        raise UnreadableAnswer("expected p = <value> or p \\to \\infty")
    return None, result


def check_limits(ref: Reference, part: Part, answer: Any) -> PartResult:
    """The limits of LP pooling: the exponent's limit for max pooling and its value for average pooling, each
    judged by the engine's verified proofs (a finite p, however large, is not max pooling)."""
    window = _window(ref, part)
    given = _by_kind(answer)
    kinds = ("avg", "max")
    share = part.points / len(kinds)
    log = Log()
    context = ref.context(part.task)
    score = 0.0
    lines: list[str] = []
    notes: list[str] = []
    review: list[str] = []

    def claim(value: Any, piece: Log) -> Any:
        try:
            return _claimed(value, context, piece)
        except _Range as relation:
            return relation

    for kind, claimed, read_notes in _answers(given, kinds, claim, lines, review, log):
        if isinstance(claimed, _Range):
            lines.append(f"{kind}: {claimed} is a range of exponents; {kind} pooling comes from one exponent "
                         "(or a limit)")
            log.notes += read_notes
            continue
        var, p = claimed
        name = getattr(var, "name", None)
        if name is not None and name not in NORM_NAMES:
            lines.append(f"{kind}: the limit is in the exponent p of LP pooling, not in {tex(var)}")
            log.notes += read_notes
        elif _gives(kind, p, window):
            score += share
            if kind == "avg":
                notes.append("p = 1 gives the average for the normalised LP (power mean); PyTorch's LPPool2d "
                             "gives the sum of the window there, N times the average")
        else:
            lines.append(f"{kind}: p = {tex(p)} does not give {kind} pooling")
            log.notes += read_notes
    notes += log.notes
    return graded(part, score, lines=lines, notes=notes, cost=ref.cost, review=review, raw=answer,
                  expected_latex=r"\text{avg: } p = 1,\quad \text{max: } p \to \infty")


def _gives(kind: str, p: sympy.Expr, window: Window) -> bool:
    """Does the normalised LP at exponent ``p`` (a limit when p is infinite) equal ``kind`` pooling, for every
    window? Only two claims hold, and both rest on the engine's verified proofs: p -> oo gives max, and p = 1
    gives the average. A finite p, however large, is not max pooling (M_p < max unless the entries are equal);
    p -> -oo gives the minimum."""
    if p == sympy.oo:
        return kind == "max" and _proved("max", window.n)
    return kind == "avg" and p == 1 and _proved("avg", window.n)


def warm(ref: Reference, part: Part) -> None:
    """Compute the sample windows' expected values (and, for the limits, the proofs) before a batch forks."""
    windows = (_window(ref, part), _window(ref, part, grow=1))
    for window in windows:
        window.expected  # noqa: B018


def warm_limits(ref: Reference, part: Part) -> None:
    """The sample windows, and the engine's proofs for the window size, before a batch forks."""
    warm(ref, part)
    n = _window(ref, part).n
    _proved("max", n), _proved("avg", n)

