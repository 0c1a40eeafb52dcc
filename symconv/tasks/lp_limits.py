"""Task ``lp-limits``: LP pooling becomes max pooling as p -> oo and average pooling at p = 1.

An answer gives the limit for max and the exponent for avg (answer-sheet fields ``max`` and ``avg``), checked by
:func:`grader.checkers.pooling.check_limits` against the engine's proofs.

The proofs come from :mod:`symconv.limits` over N = (pool window size) symbolic entries, each step checked by
SymPy; a proof or a table that is not verified aborts the document (VerificationError). The document sets them
as numbered steps, each a displayed claim and its reason; what SymPy checked is one short note after each proof
(``verification: hide`` leaves it out). One concrete window of the pooled matrix then shows PyTorch's L_p
approaching the max, every column of the table in one number format.

>>> from symconv import derive_solution
>>> window_values(derive_solution())
[109, 92, 108, 85]
>>> fixed(mpmath.mpf(394)), scientific(mpmath.mpf("0.0000084781")), scientific(mpmath.mpf(0))
('394.000000', '8.48 \\\\times 10^{-6}', '0')
"""

from __future__ import annotations

import functools

import mpmath
import sympy
from pylatex import Command, NoEscape
from pylatex.base_classes import Container

from symconv.document.blocks import Center, prose
from symconv.document.options import DocumentOptions
from symconv.errors import ConfigError, SpecError, VerificationError
from symconv.latex import Fragment, SymconvLatexPrinter, TabularLines, latex
from symconv.limits import MAX_SYMBOLIC, Proof, WindowLimits, prove_max_limit, prove_p1, window_limits
from symconv.limits.proof import Steps, escape_prose, parts_latex
from symconv.limits.summary import LATEX_LABELS
from symconv.pooling import pool_windows
from symconv.solution import Solution
from symconv.spec import Part
from symconv.tasks.base import Task

_TORCH_MEANING = {"p=1": "the sum", "p->inf": "the max", "p->0": "", "p->-inf": "the min"}


def window_values(sol: Solution) -> list[sympy.Expr] | None:
    """The entries of the first full pooling window with no negative entry (None if there is none)."""
    pool = sol.spec.pooling
    if pool is None:
        return None
    x = sol.pool_input
    for row in pool_windows(x.shape, pool.kernel_size, pool.stride, pool.padding):
        for w in row:
            values = [x[a, b] for a, b in w.cells]
            if len(values) == w.kernel_count and all(v >= 0 for v in values):
                return values
    return None


@functools.lru_cache(maxsize=32)
def _window_limits(values: tuple[sympy.Expr, ...]) -> WindowLimits:
    """sympy.limit takes seconds per window; a rebuilt document with the same window reuses the result."""
    return window_limits(values, norm="torch")


def fixed(value: mpmath.mpf, places: int = 6) -> str:
    """A table entry in fixed point."""
    return f"{float(value):.{places}f}"


def scientific(value: mpmath.mpf, digits: int = 3) -> str:
    """A table entry as LaTeX scientific notation, ``d.dd \\times 10^{k}``."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{float(value):.{digits - 1}e}".split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def heading(lines: int, title: str) -> Fragment:
    r"""A run-in ``\paragraph`` heading (``title`` is our own LaTeX) that starts a new page unless ``lines``
    lines are left on this one (the preamble's ``\needspace``).

    >>> print(heading(6, "One window.").dumps())
    \needspace{6\baselineskip}\paragraph{One window.}
    """
    return Fragment([Command("needspace", NoEscape(rf"{lines}\baselineskip")), Command("paragraph", NoEscape(title))],
                    separator="")


def proof_block(proof: Proof, title: str, opts: DocumentOptions, n: int) -> Fragment:
    """A proof over ``n`` entries as numbered steps (a displayed claim, then its reason) and its conclusion;
    with verification shown, one note on what SymPy checked."""
    if not proof.verified:
        raise VerificationError("lp-limits", proof.title, float("nan"), float("nan"))
    inline = SymconvLatexPrinter({"fold_short_frac": True})   # a fraction in a sentence stays on its line: u / p
    steps = Steps()
    for step in proof.steps:
        steps.add_item(NoEscape(rf"$\displaystyle {latex(step.claim)}$\par {parts_latex(step.justification, inline)}"))
    out = [Fragment([heading(8, title), NoEscape(f"Assume {parts_latex(proof.assumptions, inline)}.")],
                    separator=" "),
           steps, NoEscape(rf"Therefore $\displaystyle {latex(proof.conclusion)}$.")]
    out += [NoEscape(rf"\par\emph{{Note:}} {escape_prose(note)}") for note in proof.notes]
    if opts.verified_notes:   # one note, not a line per step; the CLI prints what each check was
        out.append(NoEscape(rf"\par{{\small\emph{{Checked by SymPy:}} all {len(proof.steps)} steps "
                            rf"(\texttt{{symconv limits -{{}}-symbolic {n}}} shows each check).}}"))
    return Fragment(out, end_paragraph=True)


def limits_block(result: WindowLimits) -> Center:
    """The exact limits of PyTorch's L_p for one window, then its approach to the max: two booktabs tables."""
    limits = TabularLines("llll")
    limits.append(Command("toprule"))
    limits.add_row(["limit", "value", "exact", ""])
    limits.append(Command("midrule"))
    for key, limit in result.limits.items():
        exact = r"\text{undefined}" if limit.value is None else latex(limit.value)
        number = limit.as_number()
        approx = "" if number is None or limit.value is None or limit.value.is_Integer else \
            rf"$\approx {fixed(mpmath.mpf(number))}$"
        limits.add_row([NoEscape(f"${LATEX_LABELS[key]}$"), _TORCH_MEANING[key], NoEscape(f"${exact}$"),
                        NoEscape(approx)])
    limits.append(Command("bottomrule"))
    table = TabularLines("rrrr")
    table.append(Command("toprule"))
    table.add_row([NoEscape(f"${cell}$") for cell in ("p", "L_p", "|L_p - m|", r"m\,(N^{1/p} - 1)")])
    table.append(Command("midrule"))
    for p, value, error, bound in result.table.rows:
        table.add_row([p, fixed(value), NoEscape(f"${scientific(error)}$"), NoEscape(f"${scientific(bound)}$")])
    table.append(Command("bottomrule"))
    center = Center()
    center.append(Fragment([limits, Command("par"), Command("medskip")], separator=""))
    center.append(table)
    return center


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """The two proofs over a window of N symbolic entries, PyTorch's unnormalised definition, and one window's
    convergence table; an unverified proof or table aborts the document."""
    pool = sol.spec.pooling
    if pool is None:
        raise SpecError(sol.spec.source, f"part {part.id} ({part.task}) needs a pooling section")
    n = pool.kernel_size[0] * pool.kernel_size[1]
    if n > MAX_SYMBOLIC:
        raise SpecError(sol.spec.source, f"part {part.id}: pool windows of {n} entries are beyond the proofs "
                        f"(at most {MAX_SYMBOLIC})")
    N = latex(sympy.Integer(n))
    checked = " SymPy checked every step below." if opts.verified_notes else ""
    prose(box, rf"Write the power mean of a window's $N = {N}$ entries $x_i \ge 0$ as "
               r"$M_p = \bigl(\sum_i x_i^p / N\bigr)^{1/p}$. Max pooling is its limit as $p \to \infty$ "
               rf"and average pooling is $p = 1$.{checked}", end=True)
    box.append(proof_block(prove_max_limit(n, "normalized"), r"Max pooling as $p \to \infty$.", opts, n))
    box.append(proof_block(prove_p1(n, "normalized"), r"Average pooling at $p = 1$.", opts, n))
    box.append(Fragment([heading(6, "PyTorch's definition."), NoEscape(
        r"\texttt{torch.nn.LPPool2d} computes "
        r"$L_p = \bigl(\sum_i x_i^p\bigr)^{1/p} = N^{1/p} M_p$, without the $1/N$. Since $N^{1/p} \to 1$, "
        r"$L_p$ still tends to the max as $p \to \infty$ (squeezed between $m$ and $N^{1/p} m$), but at $p = 1$ "
        rf"it is the \emph{{sum}} of the window, $N = {N}$ times the average: average pooling is "
        r"\texttt{LPPool2d} with $p = 1$ divided by $N$. (For entries of mixed sign PyTorch takes no absolute "
        r"value, and a non-integer $p$ gives NaN.)")], separator=" ", end_paragraph=True))
    values = window_values(sol)
    if values is None:
        prose(box, "No window of the pooled matrix is nonnegative, so no convergence table is shown.", end=True)
        return
    try:
        result = _window_limits(tuple(values))
    except ConfigError as err:
        raise SpecError(sol.spec.source, f"part {part.id}: {err}") from None
    if not result.verified:
        raise VerificationError("lp-limits", "the convergence table", float("nan"), float("nan"))
    shown = ", ".join(latex(v) for v in values)
    how = (r" (SymPy), then its approach to the max $m$ within the squeeze bound (mpmath, 50 digits; the float64 "
           r"\texttt{lp\_pool2d} agrees where floats do not overflow)") if opts.verified_notes else \
        r", then its approach to the max $m$ within the squeeze bound"
    box.append(Fragment([heading(12, "One window."), NoEscape(rf"For the first window, $({shown})$, PyTorch's $L_p$ "
                                                               rf"and its exact limits{how}:")],
                        separator=" ", end_paragraph=True))
    box.append(limits_block(result))


TASK = Task("lp-limits", render, checker="grader.checkers.pooling:check_limits", needs=("pooling",),
            fields=lambda spec: ["max", "avg"], locate="grader.writeup.pooling:find_limits",
            warm="grader.checkers.pooling:warm_limits")
