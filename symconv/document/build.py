"""A solution document as a PyLaTeX tree: ``fill_document(doc, solution)`` appends every part the spec lists.

Pure: nothing is written or compiled here (see :mod:`symconv.document.compile`). Prose from the spec (problem and
part texts, which may hold the instructor's ``$...$`` math) is filled with ``spec.fill`` and trusted; course,
assignment, date and titles are escaped; math comes from the project printer. Only ``equation`` environments are
numbered, so the chain-rule equations of the input gradient are (1), (2), ... in order.

>>> from symconv import derive_solution
>>> tex = build_document(derive_solution()).dumps()
>>> tex.count(r"\\begin{equation}"), r"\\begin{bmatrix}" in tex
(25, True)
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sympy
from pylatex import Document, Itemize, NoEscape, Package, Subsection
from pylatex.base_classes import Container, Environment
from pylatex.utils import escape_latex

from symconv.document import equations as eq
from symconv.document import figures
from symconv.document.pooling_limits import lp_limits
from symconv.errors import SpecError, VerificationError
from symconv.latex import latex
from symconv.sizes import output_size_expr
from symconv.solution import Solution, check_pool_modules
from symconv.spec import TEMPLATES, Part


class Equation(Environment):
    """A numbered display (amsmath)."""

    _latex_name = "equation"
    packages = [Package("amsmath")]
    escape = False
    content_separator = "\n"


class Display(Equation):
    """An unnumbered display."""

    _star_latex_name = True


class Align(Equation):
    _latex_name = "align"
    _star_latex_name = True


class TikZPicture(Environment):
    _latex_name = "tikzpicture"
    packages = [Package("tikz")]
    escape = False
    content_separator = "\n"


class Center(Environment):
    pass


def template(name: str, **values: str) -> str:
    """A document template from templates/, with ``<<key>>`` filled by escaped ``values``.

    >>> template("title.tex", course="#1", assignment="HW", date="today", points="5 points").count(r"\\#1")
    1
    """
    text = (TEMPLATES / name).read_text(encoding="utf-8")

    def sub(m: re.Match[str]) -> str:
        return escape_latex(values[m.group(1)])
    return re.sub(r"<<(\w+)>>", sub, text)


def points(value: float) -> str:
    """Points as words.

    >>> points(1.0), points(1.5)
    ('1 point', '1.5 points')
    """
    text = f"{value:g}"
    return f"{text} point" if value == 1 else f"{text} points"


def math(text: str) -> NoEscape:
    """Printer output, inline."""
    return NoEscape(f"${text}$")


def display(body: str, numbered: bool = False, split: bool = False) -> Environment:
    env = Equation() if numbered else Display()
    env.append(NoEscape(rf"\begin{{split}}{body}\end{{split}}" if split else body))
    return env


def picture(body: str) -> Environment:
    """A centred ``tikzpicture`` from a figures body (its first line holds the options)."""
    options, drawing = body.split("\n", 1)
    center = Center()
    pic = TikZPicture(options=NoEscape(options[1:-1]))
    pic.append(NoEscape(drawing))
    center.append(pic)
    return center


# ---- one renderer per task (symconv.spec.TASKS) ----

def _output_size(box: Container, sol: Solution, part: Part) -> None:
    c = sol.spec.convolution
    I, K, P, S, D = sorted(output_size_expr().free_symbols, key=lambda s: "IKPSD".index(s.name))
    lines = []
    for axis, name in ((0, "rows"), (1, "columns")):
        values = {I: sol.input.shape[axis], K: sol.kernel.shape[axis], P: c.padding[axis], S: c.stride[axis],
                  D: c.dilation[axis]}
        size = output_size_expr().xreplace(values)
        if size != sol.output_shape[axis]:
            raise VerificationError("output size", name, float(size), float(sol.output_shape[axis]))
        n = {k.name: latex(sympy.Integer(v)) for k, v in values.items()}
        lines.append(rf"\text{{{name}}} &= \left\lfloor \frac{{{n['I']} + 2 \cdot {n['P']} - {n['D']} \cdot "
                     rf"({n['K']} - 1) - 1}}{{{n['S']}}} \right\rfloor + 1 = {latex(size)}")
    rows, cols = sol.output_shape
    box.append(NoEscape(r"Along each axis the output has "
                        r"$\left\lfloor (I + 2P - D(K-1) - 1)/S \right\rfloor + 1$ entries:"))
    box.append(_align(lines))
    box.append(NoEscape(rf"so ${latex(sympy.Symbol(c.output))}$ is "
                        rf"${latex(sympy.Integer(rows))} \times {latex(sympy.Integer(cols))}$."))


def _align(lines: list[str]) -> Environment:
    env = Align()
    env.append(NoEscape(" \\\\\n".join(lines)))
    return env


def _output_size_formula(box: Container, sol: Solution, part: Part) -> None:
    f = sol.output_size_formula
    D = next(s for s in f.free_symbols if s.name == "D")
    box.append("Along one axis (PyTorch's rule, also Dumoulin and Visin's):")
    box.append(display(rf"O = {latex(f)}"))
    box.append(NoEscape(
        r"The dilated kernel spans $D(K-1)+1$ input cells; the padded input has $I + 2P$; the window moves $S$ "
        r"cells at a time, and the floor drops a last window that would not fit, so inputs that differ by up to "
        r"$S - 1$ give the same output size. Without dilation ($D = 1$):"))
    box.append(display(rf"O = {latex(f.subs(D, 1))}"))


def _convolution(box: Container, sol: Solution, part: Part) -> None:
    c = sol.spec.convolution
    eq.check_products(sol)
    box.append(NoEscape(
        rf"Each entry of ${latex(sympy.Symbol(c.output))}$ is the sum of the products of the kernel "
        rf"${latex(sympy.Symbol(c.kernel))}$ with the window of ${latex(sympy.Symbol(c.input))}$ under it "
        r"(cross-correlation: the kernel is not flipped). The first window is shaded; the dashed one is the next "
        r"window along the row, one stride further."))
    box.append(picture(figures.window_picture(sol)))
    rows, cols = sol.output_shape
    entries = [(u, v) for u in range(rows) for v in range(cols)]
    shown = entries if len(entries) <= 9 else [entries[0], entries[-1]]
    for u, v in shown:
        box.append(display(eq.product_equation(sol, u, v), split=True))
    if len(shown) < len(entries):
        box.append("and likewise for the other entries:")
    else:
        box.append("Altogether:")
    box.append(display(f"{latex(sympy.Symbol(c.output))} = {latex(sol.output)}"))


def _input_gradient(box: Container, sol: Solution, part: Part) -> None:
    c = sol.spec.convolution
    counts = eq.feed_counts(sol)
    eq.check_chain(sol)
    A, C = latex(sympy.Symbol(c.input)), latex(sympy.Symbol(c.output))
    upstream = (r"$\partial E/\partial " + C + r"_{uv} = 1$" if c.upstream == "ones"
                else r"$\partial E/\partial " + C + r"_{uv} = G_{uv}$")
    box.append(NoEscape(
        rf"$E$ depends on ${A}_{{ij}}$ only through the entries ${C}_{{uv}}$ whose window covers it, and "
        rf"$\partial {C}_{{uv}}/\partial {A}_{{ij}}$ is the kernel entry that meets ${A}_{{ij}}$ in that window; "
        rf"the upstream gradient is {upstream}. The map shows how many terms each sum has:"))
    box.append(picture(figures.heatmap_picture(counts, c.input, c.output)))
    for i in range(1, sol.input.rows + 1):
        for j in range(1, sol.input.cols + 1):
            box.append(display(eq.chain_equation(sol, sol.chain[(i, j)]), numbered=True, split=True))


def _input_gradient_matrix(box: Container, sol: Solution, part: Part) -> None:
    c = sol.spec.convolution
    A = sympy.Symbol(c.input)
    box.append(display(rf"\frac{{\partial E}}{{\partial {latex(A)}}} = {latex(sol.grad_input)}"))


def _kernel_gradient_matrix(box: Container, sol: Solution, part: Part) -> None:
    c = sol.spec.convolution
    B, A = latex(sympy.Symbol(c.kernel)), latex(sympy.Symbol(c.input))
    box.append(NoEscape(
        rf"Each kernel entry ${B}_{{mn}}$ multiplies one input entry in every output, so "
        rf"$\partial E/\partial {B}_{{mn}}$ sums $\partial E/\partial C_{{uv}}$ times the entry of ${A}$ it meets:"))
    box.append(display(rf"\frac{{\partial E}}{{\partial {B}}} = {latex(sol.grad_kernel)}"))


_MODULE_ROLES = {"max": "max pooling", "avg": "average pooling", "lp": "LP pooling"}


def _pooling_modules(box: Container, sol: Solution, part: Part) -> None:
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
    if check_pool_modules():
        import torch

        box.append(f"These import paths were checked against the installed torch {torch.__version__}.")
    else:
        box.append("(torch is not installed here, so these paths were not checked against it.)")


def _pooling_formulas(box: Container, sol: Solution, part: Part) -> None:
    box.append(NoEscape(
        r"For channel $k$ and output entry $(i, j)$ with window $S^k_{ij}$ of $|S^k_{ij}|$ entries $x^k_{mn}$:"))
    box.append(_align([
        r"\text{max:}\quad Y^k_{ij} &= \max_{(m,n) \in S^k_{ij}} x^k_{mn}",
        r"\text{average:}\quad Y^k_{ij} &= \frac{1}{|S^k_{ij}|} \sum_{(m,n) \in S^k_{ij}} x^k_{mn}",
        r"\text{LP (PyTorch):}\quad Y^k_{ij} &= \Bigl(\sum_{(m,n) \in S^k_{ij}} \bigl(x^k_{mn}\bigr)^p"
        r"\Bigr)^{1/p}"]))
    box.append(NoEscape(r"PyTorch's LP pooling has no $1/|S^k_{ij}|$; the power mean "
                        r"$\bigl(\frac{1}{|S|}\sum x^p\bigr)^{1/p}$ is that value times $|S|^{-1/p}$."))


def _pool(kind: str) -> Callable[[Container, Solution, Part], None]:
    def render(box: Container, sol: Solution, part: Part) -> None:
        if sol.spec.pooling is None:
            raise SpecError(sol.spec.source, f"part {part.id} ({part.task}) needs a pooling section")
        lines = eq.pool_lines(sol, kind)
        result = sol.pooled_max if kind == "max" else sol.pooled_avg
        box.append("Each output entry pools one window" +
                   (" (padding cells never win the max):" if kind == "max" else ":"))
        box.append(_align(lines))
        if len(lines) < result.rows * result.cols:
            box.append("and likewise for the others:")
        box.append(display(f"Y = {latex(result)}"))
    return render


RENDERERS: dict[str, Callable[[Container, Solution, Part], None]] = {
    "output-size": _output_size, "output-size-formula": _output_size_formula, "convolution": _convolution,
    "input-gradient": _input_gradient, "input-gradient-matrix": _input_gradient_matrix,
    "kernel-gradient-matrix": _kernel_gradient_matrix, "pooling-modules": _pooling_modules,
    "pooling-formulas": _pooling_formulas, "max-pool": _pool("max"), "avg-pool": _pool("avg"),
    "lp-limits": lp_limits,
}


def fill_document(doc: Document, sol: Solution) -> Document:
    """Append the title block and every problem and part of ``sol.spec``, in order."""
    spec = sol.spec
    eq.check_solution(sol)
    doc.preamble.append(NoEscape(template("preamble.tex")))
    doc.append(NoEscape(template("title.tex", course=spec.course, assignment=spec.assignment, date=spec.date,
                                 points=f"{points(spec.max_score)} in total")))
    for problem in spec.problems:
        title = f"Problem {problem.id}" + (f": {problem.title}" if problem.title else "")
        with doc.create(Subsection(title, numbering=False, label=False)) as box:
            if problem.text:
                box.append(NoEscape(spec.fill(problem.text)))
            for part in problem.parts:
                box.append(NoEscape(rf"\partheading{{Part {escape_latex(part.id)}}}"
                                    rf"{{{escape_latex(points(part.points))}}}"))
                if part.text:
                    box.append(NoEscape(r"\begin{problemtext}" + spec.fill(part.text) + r"\end{problemtext}"))
                box.append(NoEscape(r"\solutionlabel"))
                RENDERERS[part.task](box, sol, part)
    return doc


def build_document(sol: Solution) -> Document:
    """A fresh article with the solution of ``sol.spec`` in it."""
    # OT1 Computer Modern: Type 1 fonts in every TeX Live; T1 would need cm-super or lmodern (not in the
    # Debian packages we ask for), else pdflatex falls back to generating bitmap fonts.
    doc = Document(documentclass="article", document_options=["11pt"], page_numbers=False,
                   fontenc=None, inputenc="utf8", lmodern=False, textcomp=True)
    return fill_document(doc, sol)


__all__ = ["RENDERERS", "build_document", "fill_document", "template"]
