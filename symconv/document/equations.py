"""The displayed math of a solution document: chain-rule equations, written-out products, pooling windows.

Everything here returns LaTeX strings built from the project printer (:func:`symconv.latex.latex`). Long sums
break where the next term would pass the line's width (estimated by :mod:`symconv.document.measure`), so a 7×7
input or a symbolic upstream never runs into the margin. Every sum lists its terms in one order: the printer's
(B_11 + B_12 + B_13, as :func:`symconv.chain.kernel_order` says), the numbers under the symbols in the same order,
and a product as input entry times kernel entry. Whatever is computed here beyond
:func:`symconv.solution.derive_solution` goes through :mod:`symconv.verify` first.

>>> print(rows_text(split_sum("x", [["a", "b", "-c"], ["1"]], width=60, result="0")))
x &= a + b \\\\
&\\quad - c \\\\
&= 1 = 0
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import sympy

from symconv import numeric
from symconv.chain import ChainRule, kernel_order, partial
from symconv.document.measure import NUMBER_WIDTH, TEXT_WIDTH, math_width
from symconv.errors import VerificationError
from symconv.latex import latex
from symconv.matrices import entry_symbol, flat_names, parse_entry_name
from symconv.pooling import pool_windows
from symconv.solution import Solution
from symconv.verify import verify, verify_conv2d, verify_conv2d_grad, verify_pool

LINE = TEXT_WIDTH - NUMBER_WIDTH   # pt a displayed line may take beside its equation number
_OP = math_width("+")


def join_terms(terms: Sequence[str]) -> str:
    """Printed terms joined by + (or by - when a term prints with a leading minus).

    >>> join_terms(["a", "-2", "b"])
    'a - 2 + b'
    """
    out = terms[0] if terms else "0"
    for term in terms[1:]:
        out += " - " + term[1:].lstrip() if term.startswith("-") else " + " + term
    return out


def factor(value: sympy.Expr, **settings: object) -> str:
    """A number as a factor of a written product: negative ones in parentheses.

    >>> print(factor(sympy.Integer(-1)), factor(sympy.Integer(3)))
    \\left(-1\\right) 3
    """
    text = latex(value, **settings)
    return rf"\left({text}\right)" if text.startswith("-") else text


def split_sum(lhs: str, stages: Sequence[Sequence[str]], width: float = LINE, result: str | None = None) -> list[str]:
    """The rows of an aligned derivation ``lhs &= stage 1 = stage 2 ... [= result]``: all remaining stages share
    one row when they fit in ``width`` pt; otherwise the next stage takes its own row(s), broken before the term
    that would pass the width, continuation rows indented. A stage that repeats the previous one (or a result
    equal to the last stage) is left out."""
    room = width - math_width(lhs)
    texts: list[list[str]] = []
    for stage in [list(stage) or ["0"] for stage in stages] + ([[result]] if result is not None else []):
        if not texts or join_terms(stage) != join_terms(texts[-1]):
            texts.append(stage)
    rows: list[str] = []
    for k, stage in enumerate(texts):
        rest = " = ".join(join_terms(t) for t in texts[k:])
        if math_width("=") + math_width(rest) <= room:
            rows.append(f"&= {rest}")
            break
        chunks = _balanced(stage, room)
        rows.append("&= " + join_terms(chunks[0]))
        rows += [r"&\quad " + ("- " + text[1:].lstrip() if text.startswith("-") else "+ " + text)
                 for text in map(join_terms, chunks[1:])]
    rows[0] = f"{lhs} " + rows[0]
    return rows


def _balanced(terms: Sequence[str], room: float) -> list[list[str]]:
    """``terms`` in as few rows as fit ``room`` pt, their lengths differing by at most one (no lone term)."""
    def width(chunk: Sequence[str], first: bool) -> float:
        lead = math_width("=") if first else math_width(r"\quad") + _OP
        return lead + math_width(chunk[0].lstrip("-")) + sum(_OP + math_width(t.lstrip("-")) for t in chunk[1:])

    for count in range(1, len(terms) + 1):
        size, extra = divmod(len(terms), count)   # row sizes differ by at most one
        ends = [(k + 1) * size + min(k + 1, extra) for k in range(count)]
        chunks = [list(terms[a:b]) for a, b in zip([0, *ends[:-1]], ends)]
        if all(width(chunk, k == 0) <= room for k, chunk in enumerate(chunks)):
            return chunks
    return [[t] for t in terms]


def rows_text(rows: Sequence[str]) -> str:
    """Rows of a derivation as the body of a ``split``/``aligned``."""
    return " \\\\\n".join(rows)


def printer(sol: Solution, settings: dict[str, Any]) -> dict[str, Any]:
    """The printer's settings for a convolution's equations: ``settings`` (the document's), and with
    ``convolution.index: flat`` the flat names x_{1} ... of the entries of the input, the kernel, the output and a
    symbolic upstream (:func:`symconv.matrices.flat_names`).

    >>> from symconv import derive_solution
    >>> printer(derive_solution(), {"decimals": 2})
    {'decimals': 2}
    """
    c = sol.spec.convolution
    if c is None or c.index != "flat":
        return dict(settings)
    shapes = {c.input: sol.input.shape, c.kernel: sol.kernel.shape, c.output: sol.output_shape}
    if c.upstream == "symbolic":
        shapes[c.upstream_name] = sol.output_shape
    return {**settings, "symbol_names": flat_names(shapes)}


def check_solution(sol: Solution) -> None:
    """Re-verify every matrix the document prints against :mod:`symconv.numeric` (raises VerificationError)."""
    c = sol.spec.convolution
    if c is not None:
        cfg: dict[str, Any] = dict(stride=c.stride, padding=c.padding, dilation=c.dilation, flip=c.flip)
        verify_conv2d(sol.input, sol.kernel, sol.output, name=c.output, **cfg)
        verify_conv2d_grad(sol.input, sol.kernel, sol.upstream, sol.grad_input, sol.grad_kernel,
                           names=(f"dE/d{c.input}", f"dE/d{c.kernel}"), **cfg)
    pool = sol.spec.pooling
    if pool is not None:
        kw = dict(kernel_size=pool.kernel_size, stride=pool.stride, padding=pool.padding)
        verify_pool("max", sol.pool_input, sol.pooled_max, name="Y", **kw)
        verify_pool("avg", sol.pool_input, sol.pooled_avg, name="Y", **kw)


def _numbers(sol: Solution) -> dict[sympy.Symbol, sympy.Expr]:
    c = sol.spec.conv
    return {**dict(zip(sol.symbols[c.input], sol.input)), **dict(zip(sol.symbols[c.kernel], sol.kernel))}


def products(sol: Solution, u: int, v: int) -> list[tuple[sympy.Expr, sympy.Expr, sympy.Expr, sympy.Expr]]:
    """The products of output entry (u, v) (0-based) in the window's order: (A_ab, B_mn, A_ab's number, B_mn's
    number). For a cross-correlation that is kernel order; for a true convolution the kernel is rotated, so the
    window's first cell meets the kernel's last entry and the kernel entries run backwards."""
    kernel = sol.spec.conv.kernel
    rows, cols = sol.kernel.shape
    values = _numbers(sol)
    keyed = []
    for term in sympy.Add.make_args(sol.output_symbolic[u, v]):
        if term == 0:
            continue
        names = {s: parse_entry_name(s.name) for s in term.free_symbols}
        b = next(s for s, parsed in names.items() if parsed and parsed[0] == kernel)
        a = next(s for s in names if s != b)
        _, m, n = names[b] or (kernel, 0, 0)
        at = (rows + 1 - m, cols + 1 - n) if sol.spec.conv.flip else (m, n)   # where B_mn sits in the window
        keyed.append((at, (a, b, values[a], values[b])))
    return [entry for _, entry in sorted(keyed, key=lambda k: k[0])]


def check_products(sol: Solution) -> None:
    """The written-out products of every output entry, summed, are the convolution (checked numerically)."""
    c = sol.spec.conv
    rows, cols = sol.output_shape
    sums = sympy.Matrix(rows, cols, lambda u, v: sum((a * b for _, _, a, b in products(sol, u, v)), sympy.Integer(0)))
    verify(sums, lambda x, w: numeric.conv2d(x, w[::-1, ::-1] if c.flip else w, stride=c.stride, padding=c.padding,
                                             dilation=c.dilation), [sol.input, sol.kernel], name=c.output)


def product_equation(sol: Solution, u: int, v: int, **settings: object) -> list[str]:
    """The rows of ``C_uv = A_11 B_11 + ... = 4 \\cdot 4 + ... = 109`` (0-based u, v): each product input entry
    times kernel entry, in symbols and in numbers alike."""
    c = sol.spec.conv
    terms = products(sol, u, v)
    lhs = latex(entry_symbol(c.output, u + 1, v + 1), **settings)
    symbolic = [f"{latex(a, **settings)} {latex(b, **settings)}" for a, b, _, _ in terms]
    numbers = [rf"{factor(a, **settings)} \cdot {factor(b, **settings)}" for _, _, a, b in terms]
    return split_sum(lhs, [symbolic, numbers], LINE, latex(sol.output[u, v], **settings))


def chain_equation(sol: Solution, rule: ChainRule, value: sympy.Expr | None = None, **settings: object) -> list[str]:
    """The rows of one chain-rule equation for ∂E/∂A_ij: the chain-rule sum over exactly the outputs that A_ij
    feeds (in output order), the same sum in kernel terms (in :func:`symconv.chain.kernel_order`, kernel entry
    before upstream entry), those terms as numbers, and the value. When the numbers only reorder the value's
    terms (a symbolic upstream, nothing to add up), the value stands for them. ``value``: the equation's value
    when the rule is not an input entry's (∂E/∂B_mn's, from :func:`symconv.chain.kernel_chain_rule`)."""
    lhs = latex(partial(rule.loss, rule.entry), **settings)
    if not rule.terms:
        return [f"{lhs} &= 0"]
    chain = [f"{latex(partial(rule.loss, t.output), **settings)} {latex(partial(t.output, rule.entry), **settings)}"
             for t in rule.terms]
    ordered = sorted(rule.terms, key=kernel_order)
    value = sol.grad_input[rule.i - 1, rule.j - 1] if value is None else value   # a kernel rule passes its own
    given = sol.spec.conv.upstream not in ("ones", "symbolic")   # an upstream matrix of numbers, named G
    if given:   # each term as kernel entry times the upstream's entry, then as their numbers
        names = [(t.local, entry_symbol(sol.spec.conv.upstream, t.u, t.v)) for t in ordered]
        symbolic = [f"{latex(k, **settings)} {latex(g, **settings)}" for k, g in names]
        numbers = [[rf"{factor(k.xreplace(_numbers(sol)), **settings)} \cdot {factor(t.upstream, **settings)}"
                    for (k, _), t in zip(names, ordered)]]
        return split_sum(lhs, [chain, symbolic, *numbers], LINE, latex(value, **settings))
    symbolic = [latex(t.local, **settings) if t.upstream == 1 else
                f"{latex(t.local, **settings)} {latex(t.upstream, **settings)}" for t in ordered]
    values = [t.value.xreplace(_numbers(sol)) for t in ordered]
    reordered = 0 not in values and len(sympy.Add.make_args(value)) == len(values)
    numbers = [] if reordered else [[latex(v, **settings) for v in values]]
    return split_sum(lhs, [chain, symbolic, *numbers], LINE, latex(value, **settings))


def check_chain(sol: Solution) -> None:
    """Every chain-rule equation's terms, as numbers, sum to the input gradient (checked numerically)."""
    c = sol.spec.conv
    values = _numbers(sol)
    sums = sympy.Matrix(sol.input.rows, sol.input.cols,
                        lambda i, j: sympy.Add(*(t.value.xreplace(values) for t in sol.chain[(i + 1, j + 1)].terms)))
    verify_conv2d_grad(sol.input, sol.kernel, sol.upstream, sums, names=(f"dE/d{c.input}", ""),
                       stride=c.stride, padding=c.padding, dilation=c.dilation, flip=c.flip)


def feed_counts(sol: Solution) -> sympy.Matrix:
    """How many output entries each input entry feeds (its number of chain-rule terms), checked numerically:
    it is the input gradient of a kernel of ones under an upstream of ones."""
    c = sol.spec.conv
    cfg = dict(stride=c.stride, padding=c.padding, dilation=c.dilation)
    counts = sympy.Matrix(sol.input.rows, sol.input.cols, lambda i, j: len(sol.chain[(i + 1, j + 1)].terms))

    def ones_gradient(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        out = numeric.conv2d(x, np.ones_like(w), **cfg)
        return numeric.conv2d_backward(x, np.ones_like(w), np.ones_like(out), **cfg)[0]
    verify(counts, ones_gradient, [sol.input, sol.kernel], name="count")
    return counts


def pool_lines(sol: Solution, kind: str, shown: Collection[tuple[int, int]] | None = None,
               **settings: object) -> list[str]:
    """``Y_11 = \\max(109, 92, 108, 85) = 109`` for the windows (u, v) in ``shown`` (0-based; None: all), kind
    "max" or "avg"; every window's value is re-pooled from its entries and checked against the numeric
    pooling."""
    pool = sol.spec.pooling
    if pool is None:
        return []
    x, result = sol.pool_input, (sol.pooled_max if kind == "max" else sol.pooled_avg)
    assert result is not None   # the spec has a pooling section
    windows = pool_windows(x.shape, pool.kernel_size, pool.stride, pool.padding)
    lines, again = [], sympy.zeros(*result.shape)
    for row in windows:
        for w in row:
            entries = [x[a, b] for a, b in w.cells]
            if kind == "max":
                again[w.u, w.v] = sympy.Max(*entries)
                rhs = r"\max\left(" + ", ".join(latex(e, **settings) for e in entries) + r"\right)"
            else:
                again[w.u, w.v] = sympy.Add(*entries) / w.padded_count
                rhs = (rf"\frac{{{join_terms([latex(e, **settings) for e in entries])}}}"
                       rf"{{{latex(sympy.Integer(w.padded_count))}}}")
            if shown is None or (w.u, w.v) in shown:
                name = latex(entry_symbol("Y", w.u + 1, w.v + 1))
                lines.append(f"{name} &= {rhs} = {latex(result[w.u, w.v], **settings)}")
    if again != result:
        bad = next((u, v) for u in range(result.rows) for v in range(result.cols) if again[u, v] != result[u, v])
        raise VerificationError("Y", latex(entry_symbol("Y", bad[0] + 1, bad[1] + 1)), float(again[bad]),
                                float(result[bad]))
    verify_pool(kind, x, again, name="Y", kernel_size=pool.kernel_size, stride=pool.stride, padding=pool.padding)
    return lines
