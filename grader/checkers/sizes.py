"""Output size (1.1a) and the output-size formula (1.1b).

A size may be named (``C \\in \\mathbb{R}^{3 \\times 3}``); naming another matrix of the problem is a note.
The formula is read with the size letters of a size-formula part (``n``, ``f``, ``p``, ``s``, ``padding``, ...),
and compared with the engine's ``output_size_expr()`` at valid integer points (I, K, P, S, D) drawn from the
course seed and the part; a mismatch
is compared with the formula recomputed without dilation, without floor, with ceiling and off by one
(``grader.diagnose.formula_alternatives``), and each matching variant's codes cost what the rubric says. A part
with ``dilation: false`` asks about I, K, P and S only: everything is compared at D = 1, where a formula with or
without D is right and no variant is ``dilation-missing``.
An equation is compared as a relation: names (``O =``) are dropped, a number is this layer's value (checked,
a note when it is not), and two formula sides that disagree leave the answer to a person.
"""

from __future__ import annotations

import random
import re
from functools import cache
from typing import Any

import sympy

from grader.checkers.common import credit, graded, tex
from grader.checkers.reference import Reference
from grader.checkers.values import Log, read, read_expression, read_size
from grader.compare import SEED, evaluate, same_values
from grader.diagnose import Finding, most_specific, needs_dilation
from grader.errors import ParseError
from grader.parse import Equation
from grader.result import PartResult
from symconv.sizes import output_size_expr
from symconv.spec import Part
from symconv.tasks import Alternative
from symconv.tasks import task as registry_task
from symconv.tasks.output_size_formula import alternatives as formula_alternatives
from symconv.tasks.output_size_formula import asks_dilation
from symconv.tasks.output_size_formula import reference as formula_reference

NAMES = ("I", "K", "P", "S", "D")
#: Other ways students name the sizes; matched case-insensitively after dropping a word subscript (I_in).
ALIASES = {"i": "I", "k": "K", "p": "P", "s": "S", "d": "D", "n": "I", "w": "I", "h": "I", "f": "K"}


def _size_latex(size: tuple[int, int]) -> str:
    return f"{size[0]} \\times {size[1]}"


_NAMED = re.compile(r"^\s*\$*\s*(?:\\dim\s*\(?\s*)?(?:\\mathbf\s*\{|\\boldsymbol\s*\{)?([A-Za-z])\}?\s*\)?\s*"
                    r"(?:\\in\b|∈|=|:|\\colon)")


def _named_matrix(answer: Any) -> str | None:
    """The matrix a size answer names in front (``B \\in \\mathbb{R}^{3 \\times 3}``, ``C = 3x3``), if any."""
    m = _NAMED.match(answer) if isinstance(answer, str) else None
    return m.group(1) if m else None


def _size_task(ref: Reference, part: Part) -> tuple[tuple[int, int], list[Alternative], str | None]:
    """(the expected size, its recomputed mistakes, the output's name): from the task's record when it derives a
    size (``value``, ``part_alternatives``: the pooling output's), else the convolution output's."""
    t = registry_task(part.task)
    value, mistakes = t.value, t.part_alternatives
    if value is not None and mistakes is not None:
        size, alternatives = ref.memo(f"size:{part.id}", lambda: (value(ref.solution, part),
                                                                  mistakes(ref.solution, part)))
        return size, alternatives, None
    return ref.solution.output_shape, ref.alternatives(part.task), ref.spec.conv.output


def check_size(ref: Reference, part: Part, answer: Any) -> PartResult:
    """A size answer (rows x columns) against the expected size; a wrong one is diagnosed by the task's recomputed
    mistakes (off by one, rounded up, padding forgotten, transposed)."""
    expected, alternatives, output = _size_task(ref, part)
    log = Log()
    try:
        given = read_size(answer, ref.context(part.task), log)
    except ParseError:
        number = _one_number(answer)
        if number is None:
            raise
        return graded(part, 0.0, lines=[f"{tex(number)} is one number; a size is rows x columns"],
                      expected_latex=_size_latex(expected), cost=ref.cost, raw=answer)
    shown = dict(expected_latex=_size_latex(expected), given_latex=_size_latex(given), cost=ref.cost, raw=answer,
                 read_as=_size_latex(given))
    if log.guessed:
        return graded(part, 0.0, notes=log.notes, review=["your size"], **shown)
    notes = []
    name = _named_matrix(answer)
    if output is not None and name is not None and name != output and name in ref.spec.matrices:
        notes.append(f"you gave the size of {name}; the question asks for the size of the output {output}")
    if given == expected:
        return graded(part, part.points, notes=notes, **shown)
    if given[:-1] == expected and given[-1] == 1:   # 5 × 5 × 1: one channel last, or a third axis? a person reads it
        return graded(part, 0.0, notes=[*notes, "a size with a trailing 1 (one channel?)"], review=["your size"],
                      **shown)
    matched = [a for a in alternatives if a.value == given]
    best = max((1.0 - ref.cost(a.code) for a in matched), default=0.0)
    codes = most_specific([a.code for a in matched])
    return graded(part, best * part.points, findings=[Finding(a.code, a.assumption) for a in matched
                                                      if a.code in codes], notes=notes + log.notes, **shown)


@cache
def size_points(dilation: bool, count: int = 16, seed: str = SEED) -> tuple[dict[str, sympy.Integer], ...]:
    """Seeded valid configurations (the kernel fits in the padded input), with D = 1 unless ``dilation``."""
    rng = random.Random(f"{seed}:sizes:{dilation}")
    points: list[dict[str, sympy.Integer]] = []
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
def _variant_values(seed: str = SEED, dilation: bool = True) -> list[tuple[list[str], bool, list[complex | None]]]:
    """(codes, uses D, values at the points) for the reference (no codes) and every recomputed mistake; without
    ``dilation`` (a part about I, K, P and S only) all at D = 1, and dropping D is no mistake."""
    variants: list[tuple[list[str], Any]] = [([], output_size_expr(dilation=dilation))]
    variants += [([c for c in a.code.split() if dilation or c != "dilation-missing"], a.value)
                 for a in formula_alternatives()]
    out = []
    for codes, expr in variants:
        uses_d = dilation and needs_dilation(expr)
        out.append((codes, uses_d, [evaluate(expr, pt) for pt in size_points(uses_d, seed=seed)]))
    return out


_ONE_NUMBER = re.compile(r"\s*\$*\s*(\d{1,6})\s*\$*\s*\.?\s*")


def _one_number(answer: Any) -> sympy.Expr | None:
    """The whole number a size answer gives instead of a size (``9``: the count of entries), or None when the
    answer is anything more than one number (that is for the parser, or a person, to read)."""
    m = _ONE_NUMBER.fullmatch(answer) if isinstance(answer, str) else None
    return sympy.Integer(m.group(1)) if m else None


def _formula_sides(answer: Any, ref: Reference, part: Part, log: Log) -> tuple[list[sympy.Expr], list[sympy.Expr]]:
    """(formula sides, number sides) of a formula answer; names such as ``O`` or ``H_{out}`` dropped."""
    if not isinstance(answer, str):
        return [read_expression(answer)], []
    result = read(answer, "equation", ref.context(part.task), log)
    sides = list(result.sides) if isinstance(result, Equation) else [result]
    if not all(isinstance(side, sympy.Expr) for side in sides):
        from grader.checkers.values import UnreadableAnswer
        raise UnreadableAnswer("expected a formula")
    numbers = [side for side in sides if side.is_number]
    formulas = [side for side in sides if not side.is_number
                and not (isinstance(side, sympy.Symbol) and _canonical_names(side)[0].free_symbols.isdisjoint(
                    {sympy.Symbol(n, real=True) for n in NAMES}) )]
    if not formulas:   # "O = I" style: the one symbol is the formula
        formulas = [side for side in sides if not side.is_number][-1:]
    return formulas, numbers


def _this_layer(ref: Reference) -> dict[str, sympy.Integer]:
    """The spec's own layer as a point (I, K, P, S, D along the first axis)."""
    c = ref.spec.conv
    a, b = ref.spec.matrices[c.input], ref.spec.matrices[c.kernel]
    return {n: sympy.Integer(v) for n, v in zip(NAMES, (a.rows, b.rows, c.padding[0], c.stride[0], c.dilation[0]))}


def check_formula(ref: Reference, part: Part, answer: Any) -> PartResult:
    """An output-size formula: each side evaluated at the course's points against the reference and every
    recomputed mistake (without floor, dilation or padding; rounding up; off by one)."""
    log = Log()
    seed = ref.seed_for(part.id)
    dilation = asks_dilation(part, ref.spec.source)
    letters = "I, K, P, S and D" if dilation else "I, K, P and S"
    expected = tex(formula_reference(part, ref.spec.source))
    formulas, numbers = _formula_sides(answer, ref, part, log)
    if not formulas:
        return graded(part, 0.0, lines=["your answer has only this layer's numbers; the question asks for the "
                                        f"general formula in {letters}"], expected_latex=expected,
                      cost=ref.cost, raw=answer)
    given = formulas[-1]
    renamed, unknown = _canonical_names(given)
    shown = dict(expected_latex=expected, given_latex=tex(given), cost=ref.cost, raw=answer, read_as=tex(given))
    if log.guessed:
        return graded(part, 0.0, notes=log.notes, review=["your formula"], **shown)
    if unknown:
        return graded(part, 0.0, lines=[f"unknown symbols {', '.join(unknown)}: write the formula in {letters}"],
                      notes=log.notes, **shown)
    for other in formulas[:-1]:
        values = [[evaluate(_canonical_names(f)[0], pt) for pt in size_points(True, seed=seed)]
                  for f in (other, given)]
        if same_values(values[0], values[1], ref.tolerance) is not True:
            return graded(part, 0.0, lines=[f"the sides {tex(other)} and {tex(given)} of your equation differ"],
                          review=["your formula"], **shown)
    notes = []
    here = evaluate(renamed, _this_layer(ref))
    for number in numbers:
        if here is not None and not same_values([evaluate(number, {})], [here], ref.tolerance):
            notes.append(f"for this problem's layer your formula gives {here.real:g}, not {tex(number)}")
    has_d = dilation and any(getattr(s, "name", "") == "D" for s in renamed.free_symbols)
    by_dilation = {uses_d: [evaluate(renamed, pt) for pt in size_points(uses_d, seed=seed)] for uses_d in (True, False)}
    for codes, uses_d, expected_values in _variant_values(seed, dilation):
        if uses_d != has_d and codes:   # a variant without D only explains a formula without D
            continue
        if same_values(by_dilation[uses_d], expected_values, ref.tolerance):
            findings = [Finding(c, {"dilation-missing": "D = 1", "padding-forgotten": "P = 0"}.get(c, ""))
                        for c in codes]
            return graded(part, credit(codes, ref.cost) * part.points, findings=findings,
                          notes=notes + (log.notes if codes else []), **shown)
    return graded(part, 0.0, notes=notes + log.notes, **shown)


def warm_formula(ref: Reference, part: Part) -> None:
    """Evaluate the reference formula and every recomputed mistake at the part's points before a batch forks."""
    _variant_values(ref.seed_for(part.id), asks_dilation(part, ref.spec.source))
