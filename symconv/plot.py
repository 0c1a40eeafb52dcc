"""Pictures on demand (matplotlib): a convolution's sliding window, the heat map of an input gradient, a pooling
window with its winner, the convergence of LP pooling to the max, and a class's score histogram.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot (no global state; a notebook
shows it, ``fig.savefig`` writes it) or draws into ``ax`` when one is given. The numbers come from the engine and
from :mod:`symconv.figure_data`, the same source as the documents' TikZ figures. Output entries are 1-based, like
``C_12``. ``import symconv`` does not import this module (nor matplotlib); ``symconv.plot`` does, on first use.

>>> from symconv import sym_matrix
>>> fig = sliding_window(sym_matrix("A", 4, 4), sym_matrix("B", 2, 2), (1, 2))
>>> fig.axes[0].images[0].get_array().tolist()[0]
[0.0, 1.0, 1.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import sympy
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from symconv.conv import ConvConfig, conv2d, conv2d_grad
from symconv.errors import ConfigError
from symconv.figure_data import conv_window, feed_counts, pool_window_cells, score_bins
from symconv.limits.window import POWERS, convergence_table, parse_window
from symconv.matrices import as_matrix, entry_symbol, sym_matrix  # noqa: F401  (sym_matrix: the examples)
from symconv.unicode import unicode

__all__ = ["gradient_heatmap", "lp_convergence", "pool_window", "score_histogram", "sliding_window"]

#: cell colours: 0 an ordinary cell, 1 a highlighted one (the window, the chosen output entry); NaN (padding) grey
_HIGHLIGHT = ListedColormap(["white", "#9ecae1"]).with_extremes(bad="#eeeeee")
WINDOW, NEXT, WINNER, TIE = "#08519c", "#e6550d", "#cb181d", "#fd8d3c"


def _figure(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _grid(ax: Axes, mask: np.ndarray, labels: Sequence[Sequence[str]], title: str, cmap: Any = _HIGHLIGHT,
          vmin: float = 0.0, vmax: float = 1.0, fontsize: float = 9) -> None:
    """A matrix as a grid of cells coloured by ``mask``, each with its label; row 1 on top."""
    ax.imshow(mask, cmap=cmap, vmin=vmin, vmax=vmax)
    rows, cols = mask.shape
    for r in range(rows):
        for s in range(cols):
            if labels[r][s]:
                ax.text(s, r, labels[r][s], ha="center", va="center", fontsize=fontsize)
    ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.grid(which="minor", color="#999999", linewidth=0.6)
    ax.set_axisbelow(False)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title, fontsize=10)


def _box(cells: Iterable[tuple[int, int]], **style: Any) -> Rectangle:
    """The rectangle around ``cells`` (row, column) in imshow's coordinates (cell centres at integers)."""
    rows, cols = zip(*cells)
    return Rectangle((min(cols) - 0.5, min(rows) - 0.5), max(cols) - min(cols) + 1, max(rows) - min(rows) + 1,
                     fill=False, **style)


def _index(uv: tuple[int, int], shape: tuple[int, int], what: str = "output entry") -> tuple[int, int]:
    """A 1-based (u, v) checked against ``shape``, returned 0-based."""
    if (not isinstance(uv, tuple | list) or len(uv) != 2
            or any(isinstance(i, bool) or not isinstance(i, int) for i in uv)):
        raise ConfigError("uv", f"must be a pair of 1-based indices of the {what}", uv)
    u, v = uv
    if not (1 <= u <= shape[0] and 1 <= v <= shape[1]):
        raise ConfigError("uv", f"must index the {shape[0]}x{shape[1]} {what}, from (1, 1) (1-based)", uv)
    return u - 1, v - 1


def _numbers(m: sympy.Matrix) -> np.ndarray | None:
    """The matrix as floats, or None when an entry is not a real number."""
    if not all(e.is_number and e.is_extended_real for e in m):
        return None
    return np.array(m.tolist(), dtype=float)


def sliding_window(x: Any, w: Any, uv: tuple[int, int] = (1, 1), *, stride: Any = 1, padding: Any = 0,
                   dilation: Any = 1, flip: bool = False) -> Figure:
    """The window of output entry ``uv`` (1-based) over the padded input, each cell with the kernel entry that
    meets it, the kernel, and the output with that entry highlighted; the next window along the row is dashed.

    Panels (``fig.axes``): input, kernel, output. In the input's image, 1 marks the window, 0 the other input
    cells and NaN the padding.
    """
    xm, wm = as_matrix(x, "x"), as_matrix(w, "w")
    if flip:
        wm = wm[::-1, ::-1]
    cfg = ConvConfig.make(stride, padding, dilation)
    out = conv2d(xm, wm, stride=stride, padding=padding, dilation=dilation)
    u, v = _index(uv, out.shape)
    (ph, pw) = cfg.padding
    window = conv_window(xm.shape, wm.shape, u, v, stride=stride, padding=padding, dilation=dilation)
    rows, cols = xm.rows + 2 * ph, xm.cols + 2 * pw
    mask = np.full((rows, cols), np.nan)
    mask[ph:ph + xm.rows, pw:pw + xm.cols] = 0.0
    labels = [["" for _ in range(cols)] for _ in range(rows)]
    for r in range(rows):
        for s in range(cols):
            inside = ph <= r < ph + xm.rows and pw <= s < pw + xm.cols
            labels[r][s] = unicode(xm[r - ph, s - pw]) if inside else "0"
            if (r, s) in window:
                mask[r, s] = 1.0
                m, n = window[(r, s)]
                labels[r][s] += f"\n×{unicode(wm[m, n])}"
    numeric = _numbers(out) is not None
    name = lambda a, b: unicode(out[a, b]) if numeric else unicode(entry_symbol("C", a + 1, b + 1))  # noqa: E731
    fig = Figure(figsize=(1.5 + 0.65 * (cols + wm.cols + out.cols), 1.2 + 0.65 * max(rows, out.rows)),
                 layout="constrained")
    ax_in, ax_k, ax_out = fig.subplots(1, 3, width_ratios=[cols, wm.cols, out.cols])
    _grid(ax_in, mask, labels, "input (padded)" if ph or pw else "input", fontsize=8)
    ax_in.add_patch(_box(window, edgecolor=WINDOW, linewidth=2.5))
    if v + 1 < out.cols:
        nxt = conv_window(xm.shape, wm.shape, u, v + 1, stride=stride, padding=padding, dilation=dilation)
        ax_in.add_patch(_box(nxt, edgecolor=NEXT, linewidth=1.5, linestyle="--"))
    _grid(ax_k, np.zeros(wm.shape), [[unicode(e) for e in wm.row(m)] for m in range(wm.rows)],
          "kernel (flipped)" if flip else "kernel")
    chosen = np.zeros(out.shape)
    chosen[u, v] = 1.0
    _grid(ax_out, chosen, [[name(a, b) for b in range(out.cols)] for a in range(out.rows)], "output")
    fig.suptitle(f"{unicode(entry_symbol('C', u + 1, v + 1))} = {unicode(out[u, v])}", fontsize=10)
    return fig


def gradient_heatmap(x: Any, w: Any, *, upstream: Any = None, values: str = "count", stride: Any = 1,
                     padding: Any = 0, dilation: Any = 1, ax: Axes | None = None) -> Figure:
    """A heat map over the input: how many outputs each entry feeds (``values="count"``, the documents' picture)
    or the input gradient ∂E/∂x itself (``"gradient"``; needs a numeric kernel and upstream gradient).

    >>> gradient_heatmap(sym_matrix("A", 3, 3), sym_matrix("B", 2, 2)).axes[0].images[0].get_array().tolist()[1]
    [2.0, 4.0, 2.0]
    """
    xm, wm = as_matrix(x, "x"), as_matrix(w, "w")
    if values == "count":
        data = feed_counts(xm.shape, wm.shape, stride=stride, padding=padding, dilation=dilation)
        title = "how many outputs each input entry feeds"
    elif values == "gradient":
        data, _ = conv2d_grad(xm, wm, upstream, stride=stride, padding=padding, dilation=dilation)
        title = "input gradient ∂E/∂x"
    else:
        raise ConfigError("values", "must be 'count' or 'gradient'", values)
    image = _numbers(data)
    if image is None:
        raise ConfigError("values", "the gradient has symbols: give a numeric kernel and upstream gradient, or "
                          "values='count'", values)
    fig, ax = _figure(ax, (1.5 + 0.6 * xm.cols, 1 + 0.6 * xm.rows))
    low, high = min(0.0, float(image.min())), max(float(image.max()), 1e-12)
    first = len(ax.texts)
    _grid(ax, image, [[unicode(e) for e in data.row(r)] for r in range(data.rows)], title, cmap="Blues",
          vmin=low, vmax=high)
    for r, s in np.ndindex(image.shape):   # white numbers on dark cells
        if image[r, s] > low + 0.6 * (high - low):
            ax.texts[first + r * image.shape[1] + s].set_color("white")
    return fig


def pool_window(x: Any, kernel_size: Any, uv: tuple[int, int] = (1, 1), *, stride: Any = None, padding: Any = 0,
                dilation: Any = 1, ceil_mode: bool = False, ax: Axes | None = None) -> Figure:
    """Output entry ``uv``'s max-pooling window over ``x``: the window shaded, its winner (the first maximum,
    where the gradient goes) outlined solid, other cells that tie with it dashed.

    >>> [(r.get_label(), r.get_xy()) for r in pool_window([[1, 3], [3, 2]], 2).axes[0].patches][1:]
    [('winner', (0.5, -0.5)), ('tie', (-0.5, 0.5))]
    """
    from symconv.pooling import max_pool2d

    xm = as_matrix(x, "x")
    out = max_pool2d(xm, kernel_size, stride, padding, dilation, ceil_mode)
    u, v = _index(uv, out.shape)
    found = pool_window_cells(xm, kernel_size, u, v, stride=stride, padding=padding, dilation=dilation,
                              ceil_mode=ceil_mode)
    mask = np.zeros(xm.shape)
    for cell in found.cells:
        mask[cell] = 1.0
    fig, ax = _figure(ax, (1.5 + 0.6 * xm.cols, 1.2 + 0.6 * xm.rows))
    title = f"max pool: {unicode(entry_symbol('Y', u + 1, v + 1))} = {unicode(out[u, v])}"
    if found.ties:
        title += f" (ties: {len(found.ties)})"
    _grid(ax, mask, [[unicode(e) for e in xm.row(r)] for r in range(xm.rows)], title)
    if found.cells:
        ax.add_patch(_box(found.cells, edgecolor=WINDOW, linewidth=1.5))
    if found.winner is not None:
        ax.add_patch(_box([found.winner], edgecolor=WINNER, linewidth=3, label="winner"))
    for cell in found.ties:
        ax.add_patch(_box([cell], edgecolor=TIE, linewidth=2, linestyle="--", label="tie"))
    return fig


def lp_convergence(window: Any, *, norm: str = "normalized", powers: Sequence[int] = POWERS,
                   ax: Axes | None = None) -> Figure:
    """The pooled value M_p (or PyTorch's L_p) at p = 1, 2, 4, ... approaching the max, with the squeeze bound.

    ``window`` is a :class:`~symconv.limits.WindowLimits` (its table is drawn) or the window's entries. Lines
    (``ax.lines``): the pooled value, the max, the squeeze bound.

    >>> [line.get_ydata().tolist() for line in lp_convergence([3, 1], powers=(1, 2)).axes[0].lines][:2]
    [[2.0, 2.23606797749979], [3.0, 3.0]]
    """
    table = getattr(window, "table", None)
    if table is None:
        table = convergence_table(parse_window(window), norm, powers)
    entries = getattr(window, "window", None) or parse_window(window)
    name = "M_p" if table.norm == "normalized" else "L_p"
    ps = [p for p, _, _, _ in table.rows]
    top = float(max(entries))
    fig, ax = _figure(ax, (6, 3.5))
    ax.plot(ps, [float(value) for _, value, _, _ in table.rows], "o-", color=WINDOW, label=name)
    ax.plot([ps[0], ps[-1]], [top, top], "-", color=WINNER, label=f"max = {unicode(max(entries))}")
    sign = -1 if table.norm == "normalized" else 1   # M_p rises to the max from below, L_p falls to it from above
    ax.plot(ps, [top + sign * float(bound) for _, _, _, bound in table.rows], "--", color="#777777",
            label="squeeze bound")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("p")
    ax.set_ylabel(name)
    ax.set_title(f"{name} tends to the max as p grows ({len(entries)} entries, {table.norm})", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def score_histogram(results: Sequence[Any], *, max_score: float | None = None, ax: Axes | None = None) -> Figure:
    """How many submissions got each total score (grading ``Result`` objects), binned as the class summary's
    histogram.png (:func:`symconv.figure_data.score_bins`).

    >>> from grader.result import PartResult, Result
    >>> results = [Result(s, [PartResult("1", score, 2.0, "")]) for s, score in [("a", 2.0), ("b", 0.5)]]
    >>> [int(bar.get_height()) for bar in score_histogram(results).axes[0].patches]
    [1, 1]
    """
    if not results:
        raise ConfigError("results", "must hold at least one graded result", results)
    top = max_score if max_score is not None else max(r.max_score for r in results)
    counts, edges = score_bins([r.score for r in results], top)
    fig, ax = _figure(ax, (6, 3.2))
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color="#4477aa", edgecolor="white")
    ax.set_xlabel(f"total score (out of {top:g})")
    ax.set_ylabel("submissions")
    ax.set_title(f"{len(results)} submissions", fontsize=10)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole numbers of submissions
    return fig
