"""Speed of symconv's symbolic gradients against the naive route, measured side by side in one run.

Run: .venv/bin/python bench/bench_symbolic.py [--full]

The naive route builds C = A ⋆ B symbolically, E = Σ C, and calls sympy.diff(E, a) for every entry a of A.
symconv derives the same ∂E/∂A by index arithmetic (conv2d_grad). SymPy's cache is cleared before every timed
run of either route, so neither profits from work the other (or an earlier repeat) did. Prints a markdown table;
ratio = naive time / symconv time. ``--full`` adds the 16×16 case (the naive route alone takes tens of seconds).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import sympy
from sympy.core.cache import clear_cache

from symconv import conv2d, conv2d_grad, sym_matrix


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def best_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """The fastest of ``repeats`` cold-cache runs (seconds) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        clear_cache()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def naive_grad(A: sympy.Matrix, B: sympy.Matrix) -> sympy.Matrix:
    E = sympy.Add(*conv2d(A, B))
    return A.applyfunc(lambda a: sympy.diff(E, a))


def versus_naive(n: int, k: int, naive_repeats: int) -> tuple[str, ...]:
    A, B = sym_matrix("A", n, n), sym_matrix("B", k, k)
    t_naive, g_naive = best_time(lambda: naive_grad(A, B), naive_repeats)
    t_ours, (g_ours, _) = best_time(lambda: conv2d_grad(A, B), 5)
    # the two routes must agree, or the timing means nothing
    assert all(sympy.expand(x - y) == 0 for x, y in zip(g_naive, g_ours)), "routes disagree"
    return (f"∂E/∂A, {n}×{n} input, {k}×{k} kernel, ones upstream", f"{t_naive:.3f} s (naive, best of "
            f"{naive_repeats})", f"{t_ours * 1e3:.1f} ms", f"{t_naive / t_ours:.0f}×", "≥ 200×")


def large_symbolic(n: int, k: int) -> tuple[str, ...]:
    A, B = sym_matrix("A", n, n), sym_matrix("B", k, k)
    G = sym_matrix("G", n - k + 1, n - k + 1)
    t, (dA, dB) = best_time(lambda: conv2d_grad(A, B, G), 3)
    assert dA.shape == (n, n) and dB.shape == (k, k)
    return (f"(∂E/∂A, ∂E/∂B), {n}×{n} input, {k}×{k} kernel, symbolic upstream G {n - k + 1}×{n - k + 1}",
            "—", f"{t:.3f} s", "—", "< 3 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also time 16×16 (naive route: tens of seconds)")
    args = parser.parse_args()

    print(f"Machine: {platform.platform()}; {cpu_model()}; {os.cpu_count()} cores; Python "
          f"{platform.python_version()}, SymPy {sympy.__version__}\n")
    print("| case | naive (build E, sympy.diff per entry) | symconv (best of 5 or 3) | ratio | target |")
    print("|---|---|---|---|---|")
    rows = [versus_naive(12, 3, naive_repeats=3)]
    if args.full:
        rows.append(versus_naive(16, 3, naive_repeats=1))
    rows.append(large_symbolic(64, 5))
    for row in rows:
        print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
