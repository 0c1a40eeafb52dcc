"""A solution document as a PyLaTeX tree: ``fill_document(doc, solution)`` appends every part the spec lists.

Pure: nothing is written or compiled here (see :mod:`symconv.document.compile`). Prose from the spec (problem and
part texts, which may hold the instructor's ``$...$`` math) is filled with ``spec.fill`` and trusted; course,
assignment, date and titles are escaped; math comes from the project printer. The chain-rule equations of the
input gradient are one ``align``, numbered (1), (2), ... in order, their equals signs in one column.
The spec's ``document:`` section sets the options (:mod:`symconv.document.options`).

>>> from symconv import derive_solution
>>> tex = build_document(derive_solution()).dumps()
>>> numbered = re.findall(r"^\\\\frac\\{\\\\partial E\\}\\{\\\\partial A_\\{\\d\\d\\}\\} &=", tex, flags=re.M)
>>> len(numbered), "bmatrix" in tex
(25, True)
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sympy
from pylatex import Document, NoEscape, Package, Subsection
from pylatex.base_classes import Container
from pylatex.utils import escape_latex

from symconv.document import equations as eq
from symconv.document import figures
from symconv.document.blocks import aligned_rows, display, matrix_result, picture, prose
from symconv.document.options import DocumentOptions, document_options
from symconv.document.pooling_limits import lp_limits
from symconv.document.pooling_parts import POOLING_RENDERERS
from symconv.errors import VerificationError
from symconv.latex import latex
from symconv.sizes import output_size_expr
from symconv.solution import Solution
from symconv.spec import TEMPLATES, Part

Renderer = Callable[[Container, Solution, Part, DocumentOptions], None]


def template(name: str, **values: str) -> str:
    """A document template from templates/, with ``<<key>>`` filled by escaped ``values``.

    >>> template("title.tex", course="#1", assignment="HW", date="today", points="5 points", kind="Solutions",
    ...          note="").count(r"\\#1")
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


def _symbol(name: str) -> str:
    return latex(sympy.Symbol(name))


# ---- one renderer per task (symconv.spec.TASKS) ----

def _output_size(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    c = sol.spec.convolution
    formula = output_size_expr()
    I, K, P, S, D = sorted(formula.free_symbols, key=lambda s: "IKPSD".index(s.name))
    rows = [rf"O &= {latex(formula)}"]
    for axis, name in ((0, "rows"), (1, "columns")):
        values = {I: sol.input.shape[axis], K: sol.kernel.shape[axis], P: c.padding[axis], S: c.stride[axis],
                  D: c.dilation[axis]}
        size = formula.xreplace(values)
        if size != sol.output_shape[axis]:
            raise VerificationError("output size", name, float(size), float(sol.output_shape[axis]))
        n = {k.name: latex(sympy.Integer(v)) for k, v in values.items()}
        # the formula's own term order (I + 2P - D(K - 1) - 1), with the numbers in place of the letters
        rows.append(rf"\text{{{name}}} &= \left\lfloor \frac{{{n['I']} + 2 \cdot {n['P']} - {n['D']} \cdot "
                    rf"\left({n['K']} - 1\right) - 1}}{{{n['S']}}} \right\rfloor + 1 = {latex(size)}")
    rows_, cols = sol.output_shape
    prose(box, "Along each axis the output has")
    box.append(aligned_rows([[row] for row in rows]))
    prose(box, rf"entries, so ${_symbol(c.output)}$ is "
               rf"${latex(sympy.Integer(rows_))} \times {latex(sympy.Integer(cols))}$.")


def _output_size_formula(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    f = sol.output_size_formula
    D = next(s for s in f.free_symbols if s.name == "D")
    prose(box, "Along one axis (PyTorch's rule, also Dumoulin and Visin's):")
    box.append(display(rf"O = {latex(f)}"))
    prose(box, r"The dilated kernel spans $D(K - 1) + 1$ input cells; the padded input has $I + 2P$; the window "
               r"moves $S$ cells at a time, and the floor drops a last window that would not fit, so inputs that "
               r"differ by up to $S - 1$ give the same output size. Without dilation ($D = 1$):")
    box.append(display(rf"O = {latex(f.subs(D, 1))}"))


def _index_rule(sol: Solution, axis: int, out: str, k: str) -> str:
    """The input index that output index ``out`` meets through kernel index ``k`` (1-based), simplified by
    SymPy from the spec's stride, padding and dilation: S(u - 1) + D(m - 1) + 1 - P."""
    c = sol.spec.convolution
    u, m = sympy.Symbol(out), sympy.Symbol(k)
    return latex(c.stride[axis] * (u - 1) + c.dilation[axis] * (m - 1) + 1 - c.padding[axis])


def _convolution(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    c = sol.spec.convolution
    eq.check_products(sol)
    A, B, C = _symbol(c.input), _symbol(c.kernel), _symbol(c.output)
    prose(box, rf"Each entry of ${C}$ is the sum of the products of the kernel ${B}$ with the window of ${A}$ "
               r"under it (cross-correlation: the kernel is not flipped). Figure~\ref{fig:window} shades the first "
               r"window; the dashed one is the next window along the row, one stride further.", end=True)
    box.append(picture(figures.window_picture(sol), caption=rf"The first window of ${A}$ and the entry of ${C}$ it "
                       r"gives; each shaded cell is multiplied by the kernel entry in its corner."
                       r"\label{fig:window}"))
    rows, cols = sol.output_shape
    entries = [(u, v) for u in range(rows) for v in range(cols)]
    shown = entries if not opts.summary or len(entries) <= 2 else [entries[0], entries[-1]]
    prose(box, "Written out, the first and the last entry:" if len(shown) < len(entries) else
          "Written out, entry by entry:")
    box.append(aligned_rows([eq.product_equation(sol, u, v, **opts.printer) for u, v in shown]))
    if len(shown) < len(entries):
        i, j = _index_rule(sol, 0, "u", "m"), _index_rule(sol, 1, "v", "n")
        pad = " (an index outside the input is a padding zero)" if any(c.padding) else ""
        prose(box, rf"Every other entry is the same sum over its own window{pad}: "
                   rf"${C}_{{uv}} = \sum_{{m,n}} {A}_{{{i},\,{j}}}\, {B}_{{mn}}$.")
    matrix_result(box, C, sol.output, c.output, "Altogether", **opts.printer)


def _representatives(sol: Solution) -> list[tuple[int, int]]:
    """One input entry (1-based) per distinct number of chain-rule terms, the first in row-major order."""
    seen: dict[int, tuple[int, int]] = {}
    for key, rule in sol.chain.items():
        seen.setdefault(len(rule.terms), key)
    return sorted(seen.values())


def _input_gradient(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    c = sol.spec.convolution
    counts = eq.feed_counts(sol)
    eq.check_chain(sol)
    A, B, C = _symbol(c.input), _symbol(c.kernel), _symbol(c.output)
    upstream = "1" if c.upstream == "ones" else r"G_{uv}"
    prose(box, rf"$E$ depends on ${A}_{{ij}}$ only through the entries ${C}_{{uv}}$ whose window covers it, "
               rf"and $\partial {C}_{{uv}}/\partial {A}_{{ij}}$ is the kernel entry that meets ${A}_{{ij}}$ in "
               rf"that window; the upstream gradient is $\partial E/\partial {C}_{{uv}} = {upstream}$. "
               r"Figure~\ref{fig:feeds} shows how many terms each sum has.", end=True)
    box.append(picture(figures.heatmap_picture(counts, c.input, c.output),
                       caption=rf"How many entries of ${C}$ each ${A}_{{ij}}$ feeds.\label{{fig:feeds}}"))
    keys = sorted(sol.chain)
    if opts.summary:
        keys = _representatives(sol)
        i, j = _index_rule(sol, 0, "u", "m"), _index_rule(sol, 1, "v", "n")
        prose(box, rf"One entry for each number of terms; every other entry sums over the outputs ${C}_{{uv}}$ "
                   rf"whose window covers it, each term $\partial E/\partial {C}_{{uv}} \cdot {B}_{{mn}}$ with "
                   rf"$i = {i}$ and $j = {j}$:")
    else:
        prose(box, rf"For each entry of ${A}$:")
    box.append(aligned_rows([eq.chain_equation(sol, sol.chain[key], **opts.printer) for key in keys],
                            numbered=True))


def _input_gradient_matrix(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    c = sol.spec.convolution
    matrix_result(box, rf"\frac{{\partial E}}{{\partial {_symbol(c.input)}}}", sol.grad_input, f"dE/d{c.input}",
                  **opts.printer)


def _kernel_gradient_matrix(box: Container, sol: Solution, part: Part, opts: DocumentOptions) -> None:
    c = sol.spec.convolution
    A, B, C = _symbol(c.input), _symbol(c.kernel), _symbol(c.output)
    prose(box, rf"Each kernel entry ${B}_{{mn}}$ multiplies one input entry in every output, so "
               rf"$\partial E/\partial {B}_{{mn}}$ sums $\partial E/\partial {C}_{{uv}}$ times the entry of ${A}$ "
               "it meets.")
    matrix_result(box, rf"\frac{{\partial E}}{{\partial {B}}}", sol.grad_kernel, f"dE/d{c.kernel}", "Altogether",
                  **opts.printer)


RENDERERS: dict[str, Renderer] = {
    "output-size": _output_size, "output-size-formula": _output_size_formula, "convolution": _convolution,
    "input-gradient": _input_gradient, "input-gradient-matrix": _input_gradient_matrix,
    "kernel-gradient-matrix": _kernel_gradient_matrix, **POOLING_RENDERERS, "lp-limits": lp_limits,
}


def fill_document(doc: Document, sol: Solution) -> Document:
    """Append the title block and every problem and part of ``sol.spec``, in order."""
    spec = sol.spec
    opts = document_options(spec.document, spec.source)
    eq.check_solution(sol)
    doc.preamble.append(NoEscape(template("preamble.tex")))
    revealed = [part.reveal for part in spec.parts]
    kind = "Solutions" if all(revealed) else "Problems with selected solutions" if any(revealed) else "Problems"
    note = "Every number and equation below was derived by symconv and checked numerically." \
        if opts.verified_notes and any(revealed) else ""
    doc.append(NoEscape(template("title.tex", course=spec.course, assignment=spec.assignment, date=spec.date,
                                 points=f"{points(spec.max_score)} in total", kind=kind, note=note)))
    for problem in spec.problems:
        title = f"Problem {problem.id}" + (f": {problem.title}" if problem.title else "")
        doc.append(NoEscape(r"\problemheading"))
        with doc.create(Subsection(title, numbering=False, label=False)) as box:
            if problem.text:
                prose(box, spec.fill(problem.text))
            for part in problem.parts:
                box.append(NoEscape(rf"\partheading{{Part {escape_latex(part.id)}}}"
                                    rf"{{{escape_latex(points(part.points))}}}"))
                if part.text:
                    box.append(NoEscape(r"\begin{problemtext}" + spec.fill(part.text) + r"\end{problemtext}"))
                if not part.reveal:
                    box.append(NoEscape(r"\answerspace"))
                    continue
                box.append(NoEscape(r"\solutionlabel"))
                RENDERERS[part.task](box, sol, part, opts)
    return doc


def build_document(sol: Solution) -> Document:
    """A fresh article with the solution of ``sol.spec`` in it (T1 encoding, Latin Modern: Type 1 fonts only)."""
    doc = Document(documentclass="article", document_options=["11pt"], page_numbers=False,
                   fontenc="T1", inputenc="utf8", lmodern=True, textcomp=True)
    doc.packages.append(Package("amsmath"))
    return fill_document(doc, sol)


__all__ = ["RENDERERS", "build_document", "fill_document", "template"]
