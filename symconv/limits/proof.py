"""Proof objects: numbered steps, each a SymPy claim with its justification and the result of a SymPy check.

A justification is a tuple of parts: plain text (escaped in LaTeX) and SymPy objects (typeset as math), so
the same proof prints as text, as LaTeX and as JSON. A proof is ``verified`` when it has steps and every check
passed.

>>> import sympy
>>> x, y = sympy.Symbol("x", positive=True), sympy.Symbol("x")
>>> step = Step(sympy.Gt(y**2, 0), ("a square of", y, "> 0"), Check(bool((x**2).is_positive), "is_positive"))
>>> proof = Proof("A square", ("x > 0",), (step,), sympy.Gt(y**2, 0))
>>> proof.verified
True
>>> print(proof.to_text())
A square
Assume: x > 0
 1. x**2 > 0
    because a square of x > 0
    [SymPy ok: is_positive]
Therefore: x**2 > 0
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import sympy
from pylatex import Command, Enumerate, NoEscape
from pylatex.utils import escape_latex
from sympy.core.relational import Relational
from sympy.printing.printer import Printer

from symconv.latex import Fragment, SymconvLatexPrinter, latex

Part: TypeAlias = str | sympy.Basic

_TEXT_OPS = {"==": "=", "<=": "<=", ">=": ">=", "<": "<", ">": ">", "!=": "!="}


def to_text(obj: Any) -> str:
    """Plain text for a claim: relations with their operator, ``Limit`` as ``lim[p->oo]``.

    >>> p = sympy.Symbol("p")
    >>> to_text(sympy.Eq(sympy.Limit(2**(-1/p), p, sympy.oo), 1))
    'lim[p->oo] 2**(-1/p) = 1'
    """
    if isinstance(obj, str):
        return obj.replace("`", "")   # `...` marks maths in prose (see escape_prose)
    if isinstance(obj, Relational):
        return f"{to_text(obj.lhs)} {_TEXT_OPS[obj.rel_op]} {to_text(obj.rhs)}"
    if isinstance(obj, sympy.Implies):
        return f"{to_text(obj.args[0])} => {to_text(obj.args[1])}"
    if isinstance(obj, sympy.Contains):
        return f"{to_text(obj.args[0])} in {to_text(obj.args[1])}"
    if isinstance(obj, sympy.Interval):
        return f"{'(' if obj.left_open else '['}{obj.start}, {obj.end}{')' if obj.right_open else ']'}"
    if isinstance(obj, sympy.Derivative) and len(obj.variables) == 1:
        return f"d/d{obj.variables[0]} {sympy.sstr(obj.expr)}"
    if isinstance(obj, sympy.Limit):
        expr, var, point, direction = obj.args
        side = "" if point in (sympy.oo, -sympy.oo) else str(direction)
        return f"lim[{var}->{point}{side}] {sympy.sstr(expr)}"
    return sympy.sstr(obj)


def _join(pieces: Sequence[str]) -> str:
    """Pieces of prose joined by spaces, but none before a comma, semicolon, colon, full stop or closing
    parenthesis."""
    out = ""
    for piece in pieces:
        out += piece if not out or piece[:1] in ",;:.)" else " " + piece
    return out


def _parts_text(parts: Sequence[Part]) -> str:
    return _join([to_text(part).strip() for part in parts])


# Maths in our own prose is marked with backticks (`p > 0`) and set as math; unmarked relation arrows, oo and
# sub/superscripted names (x_i, t_i^p, u^(1/p)) become math too, so no font encoding turns "<" into an inverted "!"
# and no name shows its underscore.
_PROSE_MATH = {"->": r"$\to$", "<=": r"$\leq$", ">=": r"$\geq$", "<": "$<$", ">": "$>$", "oo": r"$\infty$"}
_SCRIPTED = r"[A-Za-z0-9]+(?:[_^](?:\([-+A-Za-z0-9/ ]+\)|[A-Za-z0-9]+))+"
_PROSE_TOKEN = re.compile(rf"(`[^`]*`|->|<=|>=|<|>|\boo\b|{_SCRIPTED})")
_MATH_WORDS = {"->": r"\to", "<=": r"\leq", ">=": r"\geq", "oo": r"\infty", "...": r"\ldots", "max": r"\max",
               "min": r"\min", "sum": r"\sum", "lim": r"\lim"}
_MATH_TOKEN = re.compile(r"(->|<=|>=|\.\.\.|\b(?:oo|max|min|sum|lim)\b|[_^]\([^)]*\)|[_^][A-Za-z0-9]+)")


def plain_math(text: str) -> str:
    """LaTeX math for maths written as plain text: ``->``, ``<=``, ``>=``, ``oo``, ``max``, ``...`` become their
    symbols, scripts are braced (``u^(1/p)`` -> ``u^{1/p}``), and characters special to LaTeX are escaped.

    >>> print(plain_math("(m t_i)^p = m^p t_i^p, x_1 -> ... -> x_N, u^(1/p) >= 0"))
    (m t_{i})^{p} = m^{p} t_{i}^{p}, x_{1} \\to \\ldots \\to x_{N}, u^{1/p} \\geq 0
    """
    out = []
    for k, piece in enumerate(_MATH_TOKEN.split(text)):
        if not k % 2:
            out.append(re.sub(r"[#$%&{}]", lambda m: "\\" + m.group(0), piece.replace("\\", "")))
        elif piece[0] in "_^":
            out.append(f"{piece[0]}{{{piece[2:-1] if piece[1] == '(' else piece[1:]}}}")
        else:
            out.append(_MATH_WORDS[piece] + " ")
    return re.sub(r" +", " ", "".join(out)).replace(" ,", ",").strip()


def _scripted_math(token: str) -> str:
    """``t_i^p`` -> ``$t_{i}^{p}$``; ``u^(1/p)`` -> ``$u^{1/p}$``."""
    body = re.sub(r"([_^])(?:\(([^)]*)\)|([A-Za-z0-9]+))", lambda m: f"{m.group(1)}{{{m.group(2) or m.group(3)}}}",
                  token)
    return f"${body}$"


def escape_prose(text: str) -> str:
    """LaTeX for a line of our own prose: special characters escaped, arrows, comparisons and scripted names as
    math.

    >>> print(escape_prose("p -> oo and 50% <= 1"))
    p $\\to$ $\\infty$ and 50\\% $\\leq$ 1
    >>> print(escape_prose("x_i = m t_i with t_i^p <= 1 and u^(1/p)"))
    $x_{i}$ = m $t_{i}$ with $t_{i}^{p}$ $\\leq$ 1 and $u^{1/p}$
    >>> print(escape_prose("for `p > 0`, `m = max x_i`"))
    for $p > 0$, $m = \\max x_{i}$
    """
    pieces = _PROSE_TOKEN.split(text)
    out = []
    for i, piece in enumerate(pieces):
        if not i % 2:
            out.append(escape_latex(piece))
        elif piece.startswith("`"):
            out.append(f"${plain_math(piece[1:-1])}$")
        else:
            out.append(_PROSE_MATH.get(piece) or _scripted_math(piece))
    return "".join(out)


def parts_latex(parts: Sequence[Part], printer: Printer) -> str:
    """A justification's text (escaped as prose) and maths (through ``printer``, inline), spaced as prose: no
    space before a comma, semicolon, colon, full stop or closing parenthesis.

    >>> print(parts_latex(("entries", sympy.Symbol("x") / 2, ", p > 0 ;", "then"), SymconvLatexPrinter()))
    entries $\\frac{x}{2}$, p $>$ 0 ; then
    """
    return _join([escape_prose(part.strip()) if isinstance(part, str) else f"${printer._print(part)}$"
                  for part in parts])


class Steps(Enumerate):
    r"""A proof's numbered steps: an ``enumerate`` with one ``\item <step>`` per line.

    >>> steps = Steps()
    >>> steps.add_item(NoEscape("$x > 0$"))
    >>> print(steps.dumps())
    \begin{enumerate}
    \item $x > 0$
    \end{enumerate}
    """

    _latex_name = "enumerate"
    content_separator = "\n"

    def add_item(self, s: Any) -> None:
        r"""Append ``\item`` and ``s`` on one line."""
        self.append(Fragment([Command("item"), s], separator=" "))


@dataclass(frozen=True)
class Check:
    """The outcome of one SymPy check and, in words, what SymPy actually decided."""

    ok: bool
    method: str


@dataclass(frozen=True)
class Step:
    """One claim, why it holds, and the SymPy check that backs it."""

    claim: sympy.Basic
    justification: tuple[Part, ...]
    check: Check

    @property
    def verified(self) -> bool:
        """Whether SymPy's check of the claim succeeded."""
        return self.check.ok

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: the claim (text and LaTeX), the justification, the check and its method."""
        return {
            "claim": to_text(self.claim),
            "claim_latex": latex(self.claim),
            "justification": _parts_text(self.justification),
            "check": {"ok": self.check.ok, "method": to_text(self.check.method)},
        }


@dataclass(frozen=True)
class Proof:
    """A titled chain of checked steps ending in a conclusion."""

    title: str
    assumptions: tuple[Part, ...]
    steps: tuple[Step, ...]
    conclusion: sympy.Basic
    notes: tuple[str, ...] = field(default=())

    @property
    def verified(self) -> bool:
        """A proof with at least one step, every one of them checked."""
        return bool(self.steps) and all(step.verified for step in self.steps)

    def to_text(self) -> str:
        """The proof as numbered plain-text lines, each step with its reason and SymPy's verdict, then the
        conclusion (``NOT PROVED`` when a step failed) and the notes."""
        lines = [to_text(self.title), "Assume: " + _parts_text(self.assumptions)]
        for number, step in enumerate(self.steps, 1):
            status = "ok" if step.verified else "FAILED"
            lines += [
                f"{number:2d}. {to_text(step.claim)}",
                f"    because {_parts_text(step.justification)}",
                f"    [SymPy {status}: {to_text(step.check.method)}]",
            ]
        lines.append(("Therefore: " if self.verified else "NOT PROVED: ") + to_text(self.conclusion))
        lines += [f"Note: {to_text(note)}" for note in self.notes]
        return "\n".join(lines)

    def _latex(self, printer: Printer, **_: Any) -> str:
        """A text-mode LaTeX fragment (an ``enumerate``), every piece of maths through ``printer`` so its settings
        apply; what SymPy checked follows the proof as one paragraph, and a step whose check failed says so where
        it stands."""
        def math(obj: sympy.Basic) -> str:
            return rf"$\displaystyle {printer._print(obj)}$"

        steps = Steps()
        for step in self.steps:
            failed = "" if step.verified else r" \\ " + Command("emph", "NOT verified").dumps()
            steps.add_item(NoEscape(rf"{math(step.claim)} \\ {parts_latex(step.justification, printer)}{failed}"))
        lead = "Therefore" if self.verified else "NOT PROVED"
        checks = "; ".join(f"step {k}: {escape_prose(step.check.method)}" + ("" if step.verified else " (failed)")
                           for k, step in enumerate(self.steps, 1))
        return Fragment([
            Fragment([Command("paragraph", NoEscape(escape_prose(self.title))),
                      NoEscape(f"Assume {parts_latex(self.assumptions, printer)}.")], separator=" "),
            steps,
            NoEscape(f"{lead}: {math(self.conclusion)}."),
            *(NoEscape(rf"\par\emph{{Note:}} {escape_prose(note)}") for note in self.notes),
            NoEscape(rf"\par{{\small\emph{{SymPy checks:}} {checks}.}}"),
        ]).dumps()

    def to_latex(self, **settings: Any) -> str:
        """The proof in LaTeX, by the project's printer with ``settings`` (as ``symconv.latex.latex``)."""
        return SymconvLatexPrinter(settings).doprint(self)

    def _repr_latex_(self) -> str:
        marks = {True: r"\checkmark", False: r"\times"}
        rows = [
            rf"{i}.\ & {latex(step.claim)} & {marks[step.verified]}" for i, step in enumerate(self.steps, 1)
        ]
        return r"$\begin{array}{lll}" + r"\\ ".join(rows) + r"\end{array}$"

    def __str__(self) -> str:   # print(proof) shows the proof
        return self.to_text()

    def __repr__(self) -> str:
        """One line: the title, how many steps, whether every check passed, and what was proved."""
        status = "verified" if self.verified else "NOT verified"
        return f"Proof({to_text(self.title)!r}: {len(self.steps)} steps, {status}; {to_text(self.conclusion)})"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: title, assumptions, steps, conclusion (text and LaTeX), notes, verified."""
        return {
            "title": to_text(self.title),
            "assumptions": _parts_text(self.assumptions),
            "steps": [step.to_dict() for step in self.steps],
            "conclusion": to_text(self.conclusion),
            "conclusion_latex": latex(self.conclusion),
            "notes": [to_text(note) for note in self.notes],
            "verified": self.verified,
        }
