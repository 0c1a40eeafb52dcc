"""The displayed math of a solution document: chain-rule equations, written-out products, pooling windows.

Everything here returns LaTeX strings built from the project printer (:func:`symconv.latex.latex`) and splits long
sums over several lines (``split`` inside ``equation``), so a 7×7 input never runs into the margin. Whatever
is computed here beyond :func:`symconv.solution.derive_solution` goes through :mod:`symconv.verify` first.

>>> print(split_sum(r"x", [["a", "b", "-c"], ["1"]], per_line=(2, 4), result="0"))
x &= a + b \\\\
&\\quad - c \\\\
&= 1 = 0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy

from symconv import numeric
from symconv.chain import ChainRule, partial
from symconv.errors import VerificationError
from symconv.latex import latex
from symconv.matrices import entry_symbol, parse_entry_name
from symconv.pooling import pool_windows
from symconv.solution import Solution
from symconv.verify import verify, verify_conv2d, verify_conv2d_grad, verify_pool

CHAIN_PER_LINE = 3      # ∂E/∂C_uv ∂C_uv/∂A_ij products per line
SYMBOL_PER_LINE = 9     # B_mn (or B_mn G_uv) terms per line
NUMBER_PER_LINE = 9     # numbers (or products of two numbers) per line
SHORT = 4               # sums this short share one line: = B_11 + B_12 = 4 + 3
PRODUCT_PER_LINE = 5    # A_ij B_mn products per line


def join_terms(terms: Sequence[str]) -> str:
    """Printed terms joined by + (or by - when a term prints with a leading minus).

    >>> join_terms(["a", "-2", "b"])
    'a - 2 + b'
    """
    out = terms[0] if terms else "0"
    for term in terms[1:]:
        out += " - " + term[1:].lstrip() if term.startswith("-") else " + " + term
    return out


def factor(value: sympy.Expr) -> str:
    """A number as a factor of a written product: negative ones in parentheses.

    >>> print(factor(sympy.Integer(-1)), factor(sympy.Integer(3)))
    \\left(-1\\right) 3
    """
    text = latex(value)
    return rf"\left({text}\right)" if text.startswith("-") else text


def split_sum(lhs: str, stages: Sequence[Sequence[str]], per_line: Sequence[int], result: str | None = None) -> str:
    """The body of a ``split``: ``lhs &= stage 1 &= stage 2 ... [= result]``, each stage broken every
    ``per_line`` terms, continuation lines indented."""
    lines: list[str] = []
    for stage, width in zip(stages, per_line):
        chunks = [list(stage[k:k + width]) for k in range(0, len(stage), width)] or [["0"]]
        for k, chunk in enumerate(chunks):
            text = join_terms(chunk)
            if k == 0:
                lines.append("&= " + text)
            else:
                lines.append(r"&\quad " + ("- " + text[1:].lstrip() if text.startswith("-") else "+ " + text))
    if result is not None:
        lines[-1] += f" = {result}"
    lines[0] = f"{lhs} " + lines[0]
    return " \\\\\n".join(lines)


def check_solution(sol: Solution) -> None:
    """Re-verify every matrix the document prints against :mod:`symconv.numeric` (raises VerificationError)."""
    c = sol.spec.convolution
    cfg = dict(stride=c.stride, padding=c.padding, dilation=c.dilation)
    verify_conv2d(sol.input, sol.kernel, sol.output, name=c.output, **cfg)
    verify_conv2d_grad(sol.input, sol.kernel, sol.upstream, sol.grad_input, sol.grad_kernel,
                       names=(f"dE/d{c.input}", f"dE/d{c.kernel}"), **cfg)
    pool = sol.spec.pooling
    if pool is not None:
        kw = dict(kernel_size=pool.kernel_size, stride=pool.stride, padding=pool.padding)
        verify_pool("max", sol.pool_input, sol.pooled_max, name="Y", **kw)
        verify_pool("avg", sol.pool_input, sol.pooled_avg, name="Y", **kw)


def _numbers(sol: Solution) -> dict[sympy.Symbol, sympy.Expr]:
    c = sol.spec.convolution
    return {**dict(zip(sol.symbols[c.input], sol.input)), **dict(zip(sol.symbols[c.kernel], sol.kernel))}


def products(sol: Solution, u: int, v: int) -> list[tuple[sympy.Expr, sympy.Expr, sympy.Expr]]:
    """The products of output entry (u, v) (0-based) in kernel order: (A_ab B_mn, A_ab's number, B_mn's number)."""
    kernel = sol.spec.convolution.kernel
    values = _numbers(sol)
    keyed = []
    for term in sympy.Add.make_args(sol.output_symbolic[u, v]):
        if term == 0:
            continue
        names = {s: parse_entry_name(s.name) for s in term.free_symbols}
        b = next(s for s, parsed in names.items() if parsed and parsed[0] == kernel)
        a = next(s for s in names if s != b)
        keyed.append((names[b], (term, values[a], values[b])))
    return [entry for _, entry in sorted(keyed, key=lambda k: k[0])]


def check_products(sol: Solution) -> None:
    """The written-out products of every output entry, summed, are the convolution (checked numerically)."""
    c = sol.spec.convolution
    rows, cols = sol.output_shape
    sums = sympy.Matrix(rows, cols, lambda u, v: sum((a * b for _, a, b in products(sol, u, v)), sympy.Integer(0)))
    verify(sums, lambda x, w: numeric.conv2d(x, w, stride=c.stride, padding=c.padding, dilation=c.dilation),
           [sol.input, sol.kernel], name=c.output)


def product_equation(sol: Solution, u: int, v: int) -> str:
    """``C_uv = A B + ... = 4 \\cdot 4 + ... = 109`` (0-based u, v) as a ``split`` body."""
    c = sol.spec.convolution
    terms = products(sol, u, v)
    lhs = latex(entry_symbol(c.output, u + 1, v + 1))
    symbolic = [latex(t) for t, _, _ in terms]
    numbers = [rf"{factor(a)} \cdot {factor(b)}" for _, a, b in terms]
    return split_sum(lhs, [symbolic, numbers], (PRODUCT_PER_LINE, NUMBER_PER_LINE), latex(sol.output[u, v]))


def chain_equation(sol: Solution, rule: ChainRule) -> str:
    """One numbered chain-rule equation for ∂E/∂A_ij as a ``split`` body: the chain-rule sum over exactly the
    outputs that A_ij feeds, the same sum in kernel terms, those terms as numbers, and the value."""
    lhs = latex(partial(rule.loss, rule.entry))
    chain = [f"{latex(partial(rule.loss, t.output))} {latex(partial(t.output, rule.entry))}" for t in rule.terms]
    symbolic = [latex(t.value) for t in rule.terms]
    values = _numbers(sol)
    numbers = [latex(t.value.xreplace(values)) for t in rule.terms]
    total = latex(sol.grad_input[rule.i - 1, rule.j - 1])
    if not rule.terms:
        return f"{lhs} &= 0"
    if numbers == symbolic:   # numbers already (a numeric upstream times a numeric kernel): skip the repeat
        return split_sum(lhs, [chain, symbolic], (CHAIN_PER_LINE, NUMBER_PER_LINE), total)
    if len(rule.terms) == 1 and numbers[0] == total:
        return split_sum(lhs, [chain, symbolic], (CHAIN_PER_LINE, SYMBOL_PER_LINE), total)
    if len(rule.terms) <= SHORT:
        merged = [f"{join_terms(symbolic)} = {join_terms(numbers)}"]
        return split_sum(lhs, [chain, merged], (CHAIN_PER_LINE, 1), total)
    return split_sum(lhs, [chain, symbolic, numbers], (CHAIN_PER_LINE, SYMBOL_PER_LINE, NUMBER_PER_LINE), total)


def check_chain(sol: Solution) -> None:
    """Every chain-rule equation's terms, as numbers, sum to the input gradient (checked numerically)."""
    c = sol.spec.convolution
    values = _numbers(sol)
    sums = sympy.Matrix(sol.input.rows, sol.input.cols,
                        lambda i, j: sympy.Add(*(t.value.xreplace(values) for t in sol.chain[(i + 1, j + 1)].terms)))
    verify_conv2d_grad(sol.input, sol.kernel, sol.upstream, sums, names=(f"dE/d{c.input}", ""),
                       stride=c.stride, padding=c.padding, dilation=c.dilation)


def feed_counts(sol: Solution) -> sympy.Matrix:
    """How many output entries each input entry feeds (its number of chain-rule terms), checked numerically:
    it is the input gradient of a kernel of ones under an upstream of ones."""
    c = sol.spec.convolution
    cfg = dict(stride=c.stride, padding=c.padding, dilation=c.dilation)
    counts = sympy.Matrix(sol.input.rows, sol.input.cols, lambda i, j: len(sol.chain[(i + 1, j + 1)].terms))

    def ones_gradient(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        out = numeric.conv2d(x, np.ones_like(w), **cfg)
        return numeric.conv2d_backward(x, np.ones_like(w), np.ones_like(out), **cfg)[0]
    verify(counts, ones_gradient, [sol.input, sol.kernel], name="count")
    return counts


def pool_lines(sol: Solution, kind: str, limit: int = 9) -> list[str]:
    """``Y_11 = \\max(109, 92, 108, 85) = 109`` for the first ``limit`` windows (kind "max" or "avg"); each
    written value is re-pooled from the listed entries and checked against the numeric pooling."""
    pool = sol.spec.pooling
    if pool is None:
        return []
    x, result = sol.pool_input, (sol.pooled_max if kind == "max" else sol.pooled_avg)
    windows = pool_windows(x.shape, pool.kernel_size, pool.stride, pool.padding)
    lines, again = [], sympy.zeros(*result.shape)
    for row in windows:
        for w in row:
            entries = [x[a, b] for a, b in w.cells]
            if kind == "max":
                again[w.u, w.v] = sympy.Max(*entries)
                rhs = r"\max\left(" + ", ".join(latex(e) for e in entries) + r"\right)"
            else:
                again[w.u, w.v] = sympy.Add(*entries) / w.padded_count
                rhs = rf"\frac{{{join_terms([latex(e) for e in entries])}}}{{{latex(sympy.Integer(w.padded_count))}}}"
            if len(lines) < limit:
                name = latex(entry_symbol("Y", w.u + 1, w.v + 1))
                lines.append(f"{name} &= {rhs} = {latex(result[w.u, w.v])}")
    if again != result:
        bad = next((u, v) for u in range(result.rows) for v in range(result.cols) if again[u, v] != result[u, v])
        raise VerificationError("Y", latex(entry_symbol("Y", bad[0] + 1, bad[1] + 1)), float(again[bad]),
                                float(result[bad]))
    verify_pool(kind, x, again, name="Y", kernel_size=pool.kernel_size, stride=pool.stride, padding=pool.padding)
    return lines
