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

import sympy
from pylatex import Document, NoEscape, Package, Subsection
from pylatex.utils import escape_latex

from symconv.document import equations as eq
from symconv.document.blocks import matrix_result, prose
from symconv.document.options import document_options
from symconv.latex import latex
from symconv.solution import Solution
from symconv.spec import TEMPLATES


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


def fill_document(doc: Document, sol: Solution, handout: bool = False) -> Document:
    """Append the title block and every problem and part of ``sol.spec``, in order. With ``handout``, the problems
    only: the spec's inputs typeset after the title, and answer space in place of every solution."""
    from symconv.tasks import task  # the task modules import the document blocks

    spec = sol.spec
    opts = document_options(spec.document, spec.source)
    if not handout:
        eq.check_solution(sol)
    doc.preamble.append(NoEscape(template("preamble.tex")))
    revealed = [part.reveal and not handout for part in spec.parts]
    kind = "Solutions" if all(revealed) else "Problems with selected solutions" if any(revealed) else "Problems"
    note = "Every number and equation below was derived by symconv and checked numerically." \
        if opts.verified_notes and any(revealed) else ""
    doc.append(NoEscape(template("title.tex", course=spec.course, assignment=spec.assignment, date=spec.date,
                                 points=f"{points(spec.max_score)} in total", kind=kind, note=note)))
    if handout:
        given_inputs(doc, spec.matrices, **eq.printer(sol, {}))   # flat entry names, if the spec numbers them so
        if spec.layers is not None:   # channels, filters and biases live in the layers section, not in matrices
            from symconv.tasks._layers import show
            tensors = [(n, v) for n, v in spec.layers.operands.items() if n not in spec.matrices]
            for k, (name, value) in enumerate(tensors):
                show(doc, name, value, opts, "The inputs" if k == 0 and not spec.matrices else "")
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
                if not part.reveal or handout:
                    box.append(NoEscape(r"\answerspace"))
                    continue
                box.append(NoEscape(r"\solutionlabel"))
                task(part.task).render(box, sol, part, opts)
    return doc


def given_inputs(doc: Document, matrices: dict[str, sympy.Matrix], **settings: object) -> None:
    """The spec's input matrices, each as ``A = [...]`` (a handout states its data; nothing when there is none),
    exact as the spec gives them (a document's ``numbers: decimals`` is for derived results); ``settings`` name
    the entries of a symbolic input (``convolution.index: flat``: x_{1} ...).

    >>> doc = Document()
    >>> given_inputs(doc, {"A": sympy.Matrix([[1, sympy.Rational(1, 3)]])})
    >>> "The inputs: " in doc.dumps() and r"A = \\begin{bmatrix}1 & \\dfrac{1}{3}\\end{bmatrix}" in doc.dumps()
    True
    """
    for k, (name, matrix) in enumerate(matrices.items()):
        matrix_result(doc, latex(sympy.Symbol(name)), matrix, name, "The inputs" if k == 0 else "", False,
                      **settings)


def build_document(sol: Solution, handout: bool = False) -> Document:
    """A fresh article with the solution of ``sol.spec`` in it (T1 encoding, Latin Modern: Type 1 fonts only);
    with ``handout``, the problems without their solutions (:func:`fill_document`)."""
    doc = Document(documentclass="article", document_options=["11pt"], page_numbers=False,
                   fontenc="T1", inputenc="utf8", lmodern=True, textcomp=True)
    doc.packages.append(Package("amsmath"))
    return fill_document(doc, sol, handout=handout)


__all__ = ["build_document", "fill_document", "given_inputs", "template"]
