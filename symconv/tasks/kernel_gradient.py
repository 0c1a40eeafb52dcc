"""Task ``kernel-gradient``: every ∂E/∂B_mn by the chain rule, as a sum of input entries (times upstream entries
when the upstream is not ones): the kernel's counterpart of ``input-gradient``.

An answer sheet gives one line per kernel entry (``B_{11}`` …); :func:`grader.checkers.chain.check_kernel_chain`
checks each sum and each written chain-rule term. The expansions come from
:func:`symconv.chain.kernel_chain_rule` (the taps walk of the input's chain rule) and are verified against
:func:`symconv.conv.conv2d_grad`'s kernel gradient and against torch's algorithm before anything uses them.

>>> from symconv import derive_solution
>>> sol = derive_solution()
>>> fields(sol.spec)[:3]
['B_{11}', 'B_{12}', 'B_{13}']
>>> [a.code for a in alternatives(sol)]
['flipped-kernel', 'transposed']
"""

from __future__ import annotations

from typing import Any

import sympy
from pylatex.base_classes import Container

from symconv import numeric
from symconv.chain import ChainRule, kernel_chain_rule
from symconv.conv import conv2d_grad
from symconv.document import equations as eq
from symconv.document.blocks import prose
from symconv.document.options import DocumentOptions
from symconv.errors import SpecError
from symconv.solution import Solution
from symconv.spec import Part, Spec, upstream_text
from symconv.tasks.base import Alternative, Task, distinct
from symconv.tasks.common import chain_equations, conv_config, entry_fields, index_rule, other_mode_code, symbol
from symconv.verify import verify

Key = tuple[int, int]


def fields(spec: Spec) -> list[str]:
    """One answer line per kernel entry (:func:`symconv.tasks.common.entry_fields`)."""
    return entry_fields(spec, spec.conv.kernel)


def kernel_chain(sol: Solution) -> dict[Key, ChainRule]:
    """(m, n) 1-based -> the chain-rule expansion of ∂E/∂B_mn, in the entry symbols A_ij (and G_uv), each total
    checked against conv2d_grad's kernel gradient and, at seeded points, against torch's algorithm
    (:func:`symconv.numeric.conv2d_backward`, the kernel rotated for a true convolution); a disagreement is an
    error (SpecError, VerificationError)."""
    c = sol.spec.conv
    cfg = conv_config(sol.spec)
    As, Bs = sol.symbols[c.input], sol.symbols[c.kernel]
    rules = {(m, n): kernel_chain_rule(As, Bs, m, n, upstream=sol.upstream, output_name=c.output,
                                       loss_name=c.loss, **cfg)
             for m in range(1, Bs.rows + 1) for n in range(1, Bs.cols + 1)}
    totals = sympy.Matrix(Bs.rows, Bs.cols, lambda m, n: rules[(m + 1, n + 1)].total)
    _, engine = conv2d_grad(As, Bs, sol.upstream, **cfg)
    for (m, n), rule in rules.items():   # the chain rule and the gradient are two routes to one answer
        if sympy.expand(rule.total - engine[m - 1, n - 1]) != 0:
            raise SpecError(sol.spec.source, f"internal check failed: chain rule for {rule.entry} disagrees with "
                                             "the kernel gradient")
    flip, geometry = cfg["flip"], {k: v for k, v in cfg.items() if k != "flip"}

    def torch_kernel_grad(a: Any, b: Any, g: Any) -> Any:   # true convolution: the rotated kernel's, rotated back
        grad_w = numeric.conv2d_backward(a, b[::-1, ::-1] if flip else b, g, **geometry)[1]
        return grad_w[::-1, ::-1] if flip else grad_w
    verify(totals, torch_kernel_grad, [As, Bs, sol.upstream],
           name=f"d{c.loss}/d{c.kernel}")
    return rules


def totals(sol: Solution) -> dict[Key, sympy.Expr]:
    """Each ∂E/∂B_mn as its sum of input terms (the answer the checker grades per entry)."""
    return {key: rule.total for key, rule in kernel_chain(sol).items()}


def alternatives(sol: Solution) -> list[Alternative]:
    """Every entry's sum recomputed for the other operation (a flipped kernel for a cross-correlation, an unrotated
    one for a true convolution: the gradient rotated by 180 degrees, B_mn gets the sum of the entry opposite) and
    transposed (B_mn gets B_nm's, for a square kernel)."""
    right = totals(sol)
    rows, cols = sol.kernel.shape
    alts = [Alternative(other_mode_code(sol.spec), {(m, n): right[(rows + 1 - m, cols + 1 - n)] for m, n in right})]
    if rows == cols:
        alts.append(Alternative("transposed", {(m, n): right[(n, m)] for m, n in right}))
    return distinct(right, alts)


def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    """Why each kernel entry's gradient is a sum over every output it takes part in, and the numbered chain-rule
    equations (every entry, or one per number of terms in a summary)."""
    c = sol.spec.conv
    rules = kernel_chain(sol)
    A, B, C, E = symbol(c.input), symbol(c.kernel), symbol(c.output), symbol(c.loss)
    settings = eq.printer(sol, opts.printer)
    prose(box, rf"Every output ${C}_{{uv}}$ uses every kernel entry once, so ${E}$ depends on ${B}_{{mn}}$ through "
               rf"each ${C}_{{uv}}$, and $\partial {C}_{{uv}}/\partial {B}_{{mn}}$ is the entry of ${A}$ that "
               rf"${B}_{{mn}}$ meets in that window (a padding cell, 0, drops the term); the upstream gradient is "
               rf"$\partial {E}/\partial {C}_{{uv}} = {upstream_text(c)}$.", end=True)
    i, j = index_rule(sol, 0, "u", "m"), index_rule(sol, 1, "v", "n")
    chain_equations(
        box, rules, opts.summary,
        rf"One entry for each number of terms; every other entry sums over the outputs ${C}_{{uv}}$ "
        rf"where ${B}_{{mn}}$ meets a real entry of ${A}$, each term "
        rf"$\partial {E}/\partial {C}_{{uv}} \cdot {A}_{{ij}}$ with $i = {i}$ and $j = {j}$:",
        rf"For each entry of ${B}$:",
        lambda key: eq.chain_equation(sol, rules[key], sol.grad_kernel[key[0] - 1, key[1] - 1], **settings))


TASK = Task("kernel-gradient", render, needs=("convolution",),
            checker="grader.checkers.chain:check_kernel_chain", fields=fields, alternatives=alternatives,
            locate="grader.writeup.chain:find_kernel_chain", warm="grader.checkers.chain:warm_kernel")
