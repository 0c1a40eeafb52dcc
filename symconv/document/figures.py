"""TikZ pictures for a solution document: the kernel window over the input, and a heat-map of how many outputs
each input entry feeds. Pure functions from a :class:`~symconv.solution.Solution` to ``tikzpicture`` bodies.

Every number drawn comes from the solution (the inputs, and checked results); numbers are typeset by the project
printer. Coordinates are in cells (one cell = ``CELL`` cm, shrunk to keep the picture within ``WIDTH`` cm);
rows grow downwards.

>>> from symconv import derive_solution
>>> body = window_picture(derive_solution())
>>> body.count(r"\\node"), "blue!25" in body
(57, True)
"""

from __future__ import annotations

import sympy

from symconv.latex import latex
from symconv.matrices import entry_symbol
from symconv.solution import Solution

CELL = 0.75      # cm per matrix cell
WIDTH = 15.0     # cm the widest picture may take
GAP = 1.6        # cells between the matrices


def _options(width_cells: float) -> str:
    cell = min(CELL, WIDTH / width_cells)
    font = r"\small" if cell >= 0.55 else r"\footnotesize" if cell >= 0.45 else r"\scriptsize"
    return f"[x={cell:.3f}cm, y={cell:.3f}cm, font={font}, every node/.style={{inner sep=1pt}}]"


def _cell(x: float, y: float, text: str, fill: str | None = None, draw: str = "black!40",
          at: tuple[float, float] = (0.5, 0.5)) -> list[str]:
    """A square cell with ``text`` at ``at`` (fractions of the cell from its top-left corner)."""
    style = f"draw={draw}" + (f", fill={fill}" if fill else "")
    return [rf"\path[{style}] ({x:g},{-y:g}) rectangle ++(1,-1);",
            rf"\node at ({x + at[0]:g},{-y - at[1]:g}) {{{text}}};"]


def _label(x: float, y: float, text: str) -> str:
    return rf"\node[anchor=south] at ({x:g},{-y + 0.1:g}) {{{text}}};"


def _window(sol: Solution, u: int, v: int) -> dict[tuple[int, int], tuple[int, int]]:
    """Cells (in padded coordinates) of output (u, v)'s window -> the kernel entry (m, n) that meets them: the
    kernel as given for a cross-correlation, rotated by 180 degrees for a true convolution (the window's top-left
    cell meets the kernel's bottom-right entry)."""
    c = sol.spec.conv
    kh, kw = sol.kernel.shape
    return {(u * c.stride[0] + c.dilation[0] * m, v * c.stride[1] + c.dilation[1] * n):
            ((kh - 1 - m, kw - 1 - n) if c.flip else (m, n)) for m in range(kh) for n in range(kw)}


def window_picture(sol: Solution, **settings: object) -> str:
    """The window of the first output entry over the (padded) input, the kernel, and the output; the next
    window along the row is outlined to show the stride. ``settings`` go to the printer (entry names); an output
    entry that is not a number (a symbolic input's) is drawn as its name, C_{11}, which the text writes out."""
    c = sol.spec.conv
    A, B, C = sol.input, sol.kernel, sol.output
    (ph, pw) = c.padding
    rows, cols = A.rows + 2 * ph, A.cols + 2 * pw
    first = _window(sol, 0, 0)
    second = _window(sol, 0, 1) if C.cols > 1 else {}
    bx = cols + GAP
    cx = bx + B.cols + GAP
    out: list[str] = []
    for r in range(rows):
        for s in range(cols):
            inside = ph <= r < ph + A.rows and pw <= s < pw + A.cols
            value = f"${latex(A[r - ph, s - pw], **settings)}$" if inside else r"\color{black!45}$0$"
            shaded = "blue!25" if (r, s) in first else None if inside else "black!5"
            out += _cell(s, r, value, shaded, at=(0.36, 0.4) if (r, s) in first else (0.5, 0.5))
            if (r, s) in first:
                m, n = first[(r, s)]
                out.append(rf"\node[font=\tiny, anchor=south east, text=blue!55!black] at ({s + 0.98:g},{-r - 0.98:g})"
                           rf" {{$\times {{{latex(B[m, n], **settings)}}}$}};")
    if second:
        r0 = min(r for r, _ in second)
        s0, s1 = min(s for _, s in second), max(s for _, s in second)
        r1 = max(r for r, _ in second)
        out.append(rf"\draw[orange, very thick, dashed] ({s0:g},{-r0:g}) rectangle ({s1 + 1:g},{-r1 - 1:g});")
    r0, r1 = min(r for r, _ in first), max(r for r, _ in first)
    s0, s1 = min(s for _, s in first), max(s for _, s in first)
    out.append(rf"\draw[blue!70!black, very thick] ({s0:g},{-r0:g}) rectangle ({s1 + 1:g},{-r1 - 1:g});")
    out.append(_label(cols / 2, 0, f"${latex(sympy.Symbol(c.input))}$" + (" (padded)" if ph or pw else "")))
    for m in range(B.rows):
        for n in range(B.cols):
            out += _cell(bx + n, m, f"${latex(B[m, n], **settings)}$", "blue!10")
    out.append(_label(bx + B.cols / 2, 0, f"${latex(sympy.Symbol(c.kernel))}$"))
    op = "*" if c.flip else r"\star"   # true convolution, or cross-correlation
    out.append(rf"\node at ({bx - GAP / 2:g},{-B.rows / 2:g}) {{${op}$}};")
    out.append(rf"\node at ({cx - GAP / 2:g},{-B.rows / 2:g}) {{$=$}};")
    for u in range(C.rows):
        for v in range(C.cols):
            fill = "blue!25" if (u, v) == (0, 0) else None
            draw = "orange" if (u, v) == (0, 1) else "black!40"
            shown = C[u, v] if C[u, v].is_number else entry_symbol(c.output, u + 1, v + 1)
            out += _cell(cx + v, u, f"${latex(shown, **settings)}$", fill, draw)
    out.append(_label(cx + C.cols / 2, 0, f"${latex(sympy.Symbol(c.output))}$"))
    return _options(cx + C.cols + 0.5) + "\n" + "\n".join(out)


def heatmap_picture(counts: sympy.Matrix, input_name: str, output_name: str) -> str:
    """A heat-map of ``counts`` (how many output entries each input entry feeds), darker for more; the document
    captions it."""
    top = max(int(v) for v in counts) or 1
    out: list[str] = []
    for r in range(counts.rows):
        for s in range(counts.cols):
            n = int(counts[r, s])
            shade = 8 + round(62 * n / top)
            text = f"${latex(counts[r, s])}$" if n * 2 <= top * 1.4 else rf"\color{{white}}${latex(counts[r, s])}$"
            out += _cell(s, r, text, f"blue!{shade}!white" if n else "white")
    return _options(max(counts.cols, 9)) + "\n" + "\n".join(out)
