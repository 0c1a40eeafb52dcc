"""symconv.plot: each picture draws the right data (image arrays, line data, rectangles, bar heights), computed
here independently of symconv.figure_data where it can be (brute force over the symbolic output)."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sympy  # noqa: E402
from conftest import HOMEWORK_A, HOMEWORK_B  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from grader.result import PartResult, Result  # noqa: E402
from symconv import ConfigError, conv2d, derive, derive_solution, sym_matrix  # noqa: E402
from symconv import plot as P  # noqa: E402
from symconv.figure_data import conv_window, feed_counts, score_bins  # noqa: E402
from symconv.limits import window_limits  # noqa: E402
from symconv.sizes import pair  # noqa: E402
from symconv.unicode import unicode  # noqa: E402


def boxes(ax) -> list[tuple[float, float, float, float]]:
    return [(*r.get_xy(), r.get_width(), r.get_height()) for r in ax.patches if isinstance(r, Rectangle)]


WINDOWS = [  # (input, kernel, (u, v) 1-based, configuration)
    ((5, 5), (3, 3), (1, 1), {}), ((5, 5), (3, 3), (2, 3), {}), ((5, 5), (3, 3), (2, 2), {"stride": 2, "padding": 1}),
    ((6, 5), (2, 3), (2, 1), {"dilation": (2, 1), "padding": (0, 1)}), ((4, 4), (2, 2), (3, 3), {}),
]


@pytest.mark.parametrize(("shape", "k", "uv", "cfg"), WINDOWS)
def test_sliding_window_shades_exactly_the_entries_of_the_output(shape, k, uv, cfg):
    A, B = sym_matrix("A", *shape), sym_matrix("B", *k)
    C = conv2d(A, B, **cfg)
    u, v = uv
    fig = P.sliding_window(A, B, uv, **cfg)
    ax_in, ax_k, ax_out = fig.axes
    image = np.asarray(ax_in.images[0].get_array().filled(np.nan))
    ph, pw = pair("padding", cfg.get("padding", 0), 0)
    # brute force: a real cell is in the window when its symbol appears in C_uv
    inside = image[ph:ph + shape[0], pw:pw + shape[1]]
    used = C[u - 1, v - 1].free_symbols
    assert (inside == 1).tolist() == [[A[a, b] in used for b in range(shape[1])] for a in range(shape[0])]
    padding = np.ones(image.shape, dtype=bool)
    padding[ph:ph + shape[0], pw:pw + shape[1]] = False
    window = conv_window(shape, k, u - 1, v - 1, **cfg)
    assert [image[c] == 1 for c in window if padding[c]] == [True for c in window if padding[c]]  # zeros it reads
    assert all(np.isnan(image[c]) for c in zip(*np.nonzero(padding)) if c not in window)
    # each shaded cell names the kernel entry that multiplies it: dC_uv/dA_ab
    labels = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax_in.texts}
    for a in range(shape[0]):
        for b in range(shape[1]):
            factor = sympy.diff(C[u - 1, v - 1], A[a, b])
            expected = unicode(A[a, b]) + (f"\n×{unicode(factor)}" if factor != 0 else "")
            assert labels[(a + ph, b + pw)] == expected
    # the window's outline spans all its cells (padding included); the output shades entry (u, v)
    cells = list(conv_window(shape, k, u - 1, v - 1, **cfg))
    rows, cols = [r for r, _ in cells], [s for _, s in cells]
    assert boxes(ax_in)[0] == (min(cols) - 0.5, min(rows) - 0.5, max(cols) - min(cols) + 1, max(rows) - min(rows) + 1)
    chosen = np.asarray(ax_out.images[0].get_array())
    assert list(zip(*np.nonzero(chosen))) == [(u - 1, v - 1)]
    assert len(ax_k.texts) == k[0] * k[1]


def test_sliding_window_of_the_homework_shows_numbers_and_the_next_window():
    fig = P.sliding_window(HOMEWORK_A, HOMEWORK_B, (1, 1))
    ax_in, _, ax_out = fig.axes
    assert fig._suptitle.get_text() == "C₁₁ = 109"
    assert sorted(t.get_text() for t in ax_out.texts) == sorted(str(x) for x in conv2d(HOMEWORK_A, HOMEWORK_B))
    assert boxes(ax_in) == [(-0.5, -0.5, 3, 3), (0.5, -0.5, 3, 3)]      # the window, and the next one (stride 1)
    flipped = P.sliding_window(HOMEWORK_A, HOMEWORK_B, (1, 1), flip=True)
    assert flipped._suptitle.get_text() == f"C₁₁ = {conv2d(HOMEWORK_A, HOMEWORK_B, flip=True)[0, 0]}"


@pytest.mark.parametrize(("shape", "k", "cfg"), [
    ((5, 5), (3, 3), {}), ((5, 5), (3, 3), {"stride": 2, "padding": 1}), ((6, 4), (2, 2), {"dilation": 2}),
    ((5, 5), (2, 2), {"stride": 3}),
])
def test_heatmap_counts_the_outputs_each_entry_feeds(shape, k, cfg):
    A, B = sym_matrix("A", *shape), sym_matrix("B", *k)
    C = conv2d(A, B, **cfg)
    expected = [[sum(A[a, b] in c.free_symbols for c in C) for b in range(shape[1])] for a in range(shape[0])]
    fig = P.gradient_heatmap(A, B, **cfg)
    assert np.asarray(fig.axes[0].images[0].get_array()).tolist() == expected
    assert [t.get_text() for t in fig.axes[0].texts] == [str(n) for row in expected for n in row]
    assert feed_counts(shape, k, **cfg).tolist() == expected       # the documents' heat map uses the same data


def test_heatmap_of_the_homework_gradient():
    fig = P.gradient_heatmap(HOMEWORK_A, HOMEWORK_B, values="gradient")
    assert np.asarray(fig.axes[0].images[0].get_array()).tolist()[2] == [11, 23, 34, 23, 11]
    G = [[1, 0, 0], [0, 0, 0], [0, 0, 2]]
    fig = P.gradient_heatmap(HOMEWORK_A, HOMEWORK_B, upstream=G, values="gradient")
    image = np.asarray(fig.axes[0].images[0].get_array())
    assert image[0, :3].tolist() == [float(x) for x in HOMEWORK_B[0]] and image[4, 4] == 2 * HOMEWORK_B[2][2]


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"values": "gradient"}, "values"), ({"values": "sum"}, "values"),
])
def test_heatmap_errors(kwargs, argument):
    with pytest.raises(ConfigError) as err:
        P.gradient_heatmap(sym_matrix("A", 3, 3), sym_matrix("B", 2, 2), **kwargs)
    assert err.value.argument == argument


POOLS = [  # (x, kernel, uv, stride, winner (row, col) 0-based or None, ties)
    ([[1, 3, 3], [3, 2, 0], [0, 0, 1]], 2, (1, 1), 1, (0, 1), [(1, 0)]),
    ([[1, 3, 3], [3, 2, 0], [0, 0, 1]], 2, (1, 2), 1, (0, 1), [(0, 2)]),
    ([[5, 1], [2, 4]], 2, (1, 1), None, (0, 0), []),
    ([[0, -1, 7, 7], [-2, -1, 7, 7]], 2, (1, 2), None, (0, 2), [(0, 3), (1, 2), (1, 3)]),
    (sym_matrix("X", 2, 2), 2, (1, 1), None, None, []),
]


@pytest.mark.parametrize(("x", "k", "uv", "stride", "winner", "ties"), POOLS)
def test_pool_window_marks_the_winner_and_the_ties(x, k, uv, stride, winner, ties):
    fig = P.pool_window(x, k, uv, stride=stride)
    ax = fig.axes[0]
    s = k if stride is None else stride
    u, v = uv[0] - 1, uv[1] - 1
    expected = np.zeros(np.array(sympy.Matrix(x).shape))
    expected[u * s:u * s + k, v * s:v * s + k] = 1
    assert np.asarray(ax.images[0].get_array()).tolist() == expected.tolist()
    rects = [r for r in ax.patches if isinstance(r, Rectangle)]
    assert boxes(ax)[0] == (v * s - 0.5, u * s - 0.5, k, k)                 # the window
    marked = {r.get_label(): [] for r in rects}
    for r in rects[1:]:
        marked[r.get_label()].append((round(r.get_y() + 0.5), round(r.get_x() + 0.5)))
    assert marked.get("winner", [None]) == [winner]
    assert marked.get("tie", []) == ties


def test_lp_convergence_draws_the_power_mean_and_the_max():
    window = [109, 92, 108, 85]
    fig = P.lp_convergence(window_limits(window))
    value, top, bound = fig.axes[0].lines
    x = np.array(window, dtype=float)
    ps = np.array([2**k for k in range(11)], dtype=float)
    assert np.asarray(value.get_xdata()).tolist() == ps.tolist()
    expected = [np.mean(x**p) ** (1 / p) if p < 128 else x.max() * np.mean((x / x.max()) ** p) ** (1 / p) for p in ps]
    assert np.allclose(value.get_ydata(), expected, rtol=1e-12)
    assert list(top.get_ydata()) == [109.0, 109.0]
    assert np.allclose(bound.get_ydata(), 109 * 4 ** (-1 / ps))                   # m - m (1 - N^(-1/p))
    assert all(b <= v <= 109 for b, v in zip(bound.get_ydata(), value.get_ydata()))


def test_lp_convergence_with_pytorchs_norm_from_above():
    fig = P.lp_convergence([3, 1], norm="torch", powers=(1, 2, 4))
    value, top, bound = fig.axes[0].lines
    assert np.allclose(value.get_ydata(), [4.0, 10**0.5, 82**0.25])
    assert list(top.get_ydata()) == [3.0, 3.0]
    assert np.allclose(bound.get_ydata(), [3 * 2 ** (1 / p) for p in (1, 2, 4)])


def scored(*scores: float, top: float = 4.0) -> list[Result]:
    return [Result(f"s{k}", [PartResult("1", s, top, "")]) for k, s in enumerate(scores)]


@pytest.mark.parametrize(("scores", "top", "heights", "edges"), [
    ((0.5, 1, 1.2, 3.9, 4), 4, [1, 2, 0, 2], [0, 1, 2, 3]),
    ((2, 2, 2), 4, [0, 0, 3, 0], [0, 1, 2, 3]),
    ((0.2, 0.3), 0.5, [2], [0]),
])
def test_score_histogram_bar_heights(scores, top, heights, edges):
    fig = P.score_histogram(scored(*scores, top=top))
    bars = fig.axes[0].patches
    assert [b.get_height() for b in bars] == heights
    assert [b.get_x() for b in bars] == edges
    assert score_bins(scores, top)[0].tolist() == heights


def test_score_histogram_needs_results():
    with pytest.raises(ConfigError):
        P.score_histogram([])


@pytest.mark.parametrize("uv", [(0, 1), (4, 1), (1, 4), (1,), "11", (1.0, 1), (True, 1)])
def test_output_entries_are_one_based_and_checked(uv):
    with pytest.raises(ConfigError) as err:
        P.sliding_window(HOMEWORK_A, HOMEWORK_B, uv)
    assert err.value.argument == "uv"
    with pytest.raises(ConfigError):
        P.pool_window(HOMEWORK_A, 3, uv if uv != (1, 1) else (9, 9), stride=1)


def test_plot_methods_draw_the_same_data():
    sol = derive_solution()
    window = sol.plot_window(1, 2).axes[0]
    assert np.array_equal(window.images[0].get_array(), P.sliding_window(sol.input, sol.kernel, (1, 2)).axes[0]
                          .images[0].get_array())
    heat = sol.plot_gradient("gradient").axes[0].images[0].get_array()
    assert np.asarray(heat).tolist() == np.array(sol.grad_input.tolist(), dtype=float).tolist()
    assert np.asarray(sol.plot_gradient().axes[0].images[0].get_array()).tolist() == [
        [len(sol.chain[(i, j)].terms) for j in range(1, 6)] for i in range(1, 6)]
    pool = sol.plot_pool(2, 1).axes[0]
    assert pool.get_title() == f"max pool: Y₂₁ = {sol.pooled_max[1, 0]}"
    limits = window_limits([4, 1, 2])
    assert np.allclose(limits.plot().axes[0].lines[0].get_ydata(), [float(v) for _, v, _, _ in limits.table.rows])
    d = derive((4, 4), (2, 2), stride=2)
    assert np.asarray(d.plot().axes[0].images[0].get_array()).tolist() == [[1] * 4] * 4


def test_a_figure_saves_as_png(tmp_path):
    P.lp_convergence([2, 1], powers=(1, 2)).savefig(tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_import_symconv_leaves_matplotlib_unloaded():
    code = ("import sys, symconv; assert 'matplotlib' not in sys.modules; symconv.plot.sliding_window; "
            "assert 'matplotlib' in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr
