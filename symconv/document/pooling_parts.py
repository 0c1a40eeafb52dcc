"""The pooling parts of a solution document: the torch.nn modules, the three formulas, max and average pooling.

What the prose says about a pooling comes from its sizes: the padding note only when there is padding, and the
rows and columns that the floor of the output size leaves out of every window, read off the engine's windows.

>>> from symconv import derive_solution
>>> from symconv.spec import TEMPLATES
>>> dropped_cells(derive_solution(TEMPLATES / "maxpool7.yaml"))
([4], [4])
>>> describe_dropped("C", [4], [4], (5, 5))
"$C$'s last row and last column"
"""

from __future__ import annotations

from collections.abc import Callable

import sympy
from pylatex import Itemize, NoEscape
from pylatex.base_classes import Container
from pylatex.utils import escape_latex

from symconv.document import equations as eq
from symconv.document.blocks import aligned_rows, matrix_result, prose
from symconv.document.options import DocumentOptions
from symconv.errors import SpecError
from symconv.latex import latex
from symconv.pooling import pool_windows
from symconv.solution import Solution, check_pool_modules
from symconv.spec import Part

_MODULE_ROLES = {"max": "max pooling", "avg": "average pooling", "lp": "LP pooling"}


def _pooling_modules(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    pool = sol.spec.pooling
    items = Itemize()
    for kind, path in sol.pool_modules.items():
        args = ""
        if pool is not None:
            k, s = (pool.kernel_size[0] if pool.kernel_size[0] == pool.kernel_size[1] else pool.kernel_size,
                    pool.stride[0] if pool.stride[0] == pool.stride[1] else pool.stride)
            args = f"kernel_size={k}, stride={s}"
            args = f"norm_type=p, {args}" if kind == "lp" else args
        items.add_item(NoEscape(rf"{escape_latex(_MODULE_ROLES[kind])}: "
                                rf"\texttt{{{escape_latex(path)}({escape_latex(args)})}}"))
    box.append(items)
    if opts.verified_notes:   # student-facing: which PyTorch, not which installed build
        prose(box, "These import paths were checked against PyTorch." if check_pool_modules()
                   else "(PyTorch was not available, so these paths were not checked against it.)", end=True)


def _pooling_formulas(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    prose(box, r"For channel $k$ and output entry $(i, j)$ with window $S^k_{ij}$ of $|S^k_{ij}|$ entries "
               r"$x^k_{mn}$:")
    box.append(aligned_rows([
        [r"\text{max:}\quad Y^k_{ij} &= \max_{(m,n) \in S^k_{ij}} x^k_{mn}"],
        [r"\text{average:}\quad Y^k_{ij} &= \frac{1}{|S^k_{ij}|} \sum_{(m,n) \in S^k_{ij}} x^k_{mn}"],
        [r"\text{LP (PyTorch):}\quad Y^k_{ij} &= \Bigl(\sum_{(m,n) \in S^k_{ij}} \bigl(x^k_{mn}\bigr)^p"
         r"\Bigr)^{1/p}"]]))
    prose(box, r"PyTorch's LP pooling has no factor $1/|S^k_{ij}|$; the power mean "
               r"$\bigl(\sum x^p / |S|\bigr)^{1/p}$ is that value times $|S|^{-1/p}$.", end=True)


def dropped_cells(sol: Solution) -> tuple[list[int], list[int]]:
    """The rows and columns (0-based) of the pooled matrix that no pooling window covers."""
    pool = sol.spec.pooling
    if pool is None:
        return [], []
    x = sol.pool_input
    windows = [w for row in pool_windows(x.shape, pool.kernel_size, pool.stride, pool.padding) for w in row]
    rows = {a for w in windows for a, _ in w.cells}
    cols = {b for w in windows for _, b in w.cells}
    return [a for a in range(x.rows) if a not in rows], [b for b in range(x.cols) if b not in cols]


def _axis_words(dropped: list[int], size: int, noun: str) -> str:
    if not dropped:
        return ""
    if dropped == list(range(size - len(dropped), size)):
        return f"last {noun}" if len(dropped) == 1 else f"last {len(dropped)} {noun}s"
    return f"{noun}{'s' if len(dropped) > 1 else ''} " + ", ".join(str(k + 1) for k in dropped)


def describe_dropped(name: str, rows: list[int], cols: list[int], shape: tuple[int, int]) -> str:
    """Words for the rows and columns of ``name`` that no window covers (LaTeX)."""
    words = [w for w in (_axis_words(rows, shape[0], "row"), _axis_words(cols, shape[1], "column")) if w]
    return f"${latex(sympy.Symbol(name))}$'s " + " and ".join(words)


def _pool(kind: str) -> Callable[[Container, Solution, Part, DocumentOptions], None]:
    def render(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
        pool = sol.spec.pooling
        if pool is None:
            raise SpecError(sol.spec.source, f"part {part.id} ({part.task}) needs a pooling section")
        result = sol.pooled_max if kind == "max" else sol.pooled_avg
        assert result is not None   # the spec has a pooling section (checked above)
        x = sol.pool_input
        windows = [(u, v) for u in range(result.rows) for v in range(result.cols)]
        shown = windows if not opts.summary or len(windows) <= 2 else [windows[0], windows[-1]]
        lines = eq.pool_lines(sol, kind, shown, **opts.printer)
        padded = any(pool.padding)
        note = " (padding cells never win the max)" if kind == "max" and padded else \
            " (padding cells count as zeros)" if padded else ""
        prose(box, f"Each output entry pools one window{note}:")
        box.append(aligned_rows([[line] for line in lines]))
        rows, cols = dropped_cells(sol)
        if rows or cols:
            sizes = ", ".join(
                rf"$\lfloor ({x.shape[a]} + 2 \cdot {pool.padding[a]} - {pool.kernel_size[a]})/{pool.stride[a]}"
                rf"\rfloor + 1 = {result.shape[a]}$" for a in (0, 1))
            prose(box, rf"The output size has a floor ({sizes} windows per axis), so no window reaches "
                       rf"{describe_dropped(pool.input, rows, cols, x.shape)}: those entries never "
                       "reach $Y$.")
        if len(shown) < len(windows):
            i = latex(pool.stride[0] * (sympy.Symbol("u") - 1) + sympy.Symbol("m") - pool.padding[0])
            j = latex(pool.stride[1] * (sympy.Symbol("v") - 1) + sympy.Symbol("n") - pool.padding[1])
            what = r"\max" if kind == "max" else r"\operatorname{mean}"
            X = latex(sympy.Symbol(pool.input))
            prose(box, rf"Every other window follows the same rule, $Y_{{uv}} = {what}_{{m,n}} {X}_{{{i},\,{j}}}$ "
                       rf"with $1 \le m \le {pool.kernel_size[0]}$ and $1 \le n \le {pool.kernel_size[1]}$.")
        matrix_result(box, "Y", result, "Y", "Altogether", **opts.printer)
    return render


POOLING_RENDERERS: dict[str, Callable[[Container, Solution, Part, DocumentOptions], None]] = {
    "pooling-modules": _pooling_modules, "pooling-formulas": _pooling_formulas,
    "max-pool": _pool("max"), "avg-pool": _pool("avg"),
}
