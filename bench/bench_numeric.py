"""Speed of symconv.numeric against torch's CPU calls, measured side by side in one run.

Run: .venv/bin/python bench/bench_numeric.py

Prints a markdown table; ratio = torch time / symconv time, so > 1 means symconv is faster.
torch gets the same number of threads as numpy's BLAS; both sides receive ready-made arrays/tensors, so only
the call itself is timed (min over repeats of timeit loops, the two sides alternating).
"""

from __future__ import annotations

import ctypes
import os
import platform
import timeit

import numpy as np
import torch
import torch.nn.functional as F

import symconv.numeric as sn

A = [[4, 5, 2, 2, 1], [3, 3, 2, 2, 4], [4, 3, 4, 1, 1], [5, 1, 4, 1, 2], [5, 1, 3, 1, 4]]
B = [[4, 3, 3], [5, 5, 5], [2, 4, 3]]


def blas_info() -> tuple[str, int | None]:
    """numpy's BLAS name and its thread count, read from the loaded OpenBLAS when possible."""
    name = np.show_config(mode="dicts")["Build Dependencies"]["blas"].get("name", "unknown")
    try:
        paths = {line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line.lower()}
        for path in paths:
            lib = ctypes.CDLL(path)
            for symbol in (
                "scipy_openblas_get_num_threads64_",
                "openblas_get_num_threads64_",
                "openblas_get_num_threads",
            ):
                if hasattr(lib, symbol):
                    return name, int(getattr(lib, symbol)())
    except OSError:
        pass
    return name, None


def race(ours, theirs, number: int, repeat: int = 9) -> tuple[float, float]:
    """Seconds per call for each side: the minimum over ``repeat`` timeit loops of ``number`` calls.

    The two sides alternate loop by loop, so load from other processes on a shared machine hits both alike.
    """
    ours(), theirs()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, bucket in ((ours, times[0]), (theirs, times[1])):
            bucket.append(timeit.timeit(fn, number=number) / number)
    return min(times[0]), min(times[1])


def rows() -> list[tuple[str, float, float, str]]:
    out = []
    a, b = np.array(A, dtype=np.float64), np.array(B, dtype=np.float64)
    at, bt = torch.tensor(a)[None, None], torch.tensor(b)[None, None]
    out.append(
        (
            "conv2d 5x5 * 3x3 (HW vs torch NCHW), forward",
            *race(lambda: sn.conv2d(a, b), lambda: F.conv2d(at, bt), 20000),
            "> 1",
        )
    )
    for name, ours, theirs in [
        ("max_pool2d 5x5, k=2, s=1", lambda: sn.max_pool2d(a, 2, 1), lambda: F.max_pool2d(at, 2, 1)),
        ("avg_pool2d 5x5, k=2, s=1", lambda: sn.avg_pool2d(a, 2, 1), lambda: F.avg_pool2d(at, 2, 1)),
        ("lp_pool2d 5x5, p=2, k=2, s=1", lambda: sn.lp_pool2d(a, 2, 2, 1), lambda: F.lp_pool2d(at, 2, 2, 1)),
    ]:
        out.append((name + ", forward", *race(ours, theirs, 5000), "(none)"))

    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((8, 16, 64, 64)), rng.standard_normal((32, 16, 3, 3))
    g = rng.standard_normal((8, 32, 64, 64))
    xt, wt, gt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True), torch.tensor(g)

    def ours_big():
        sn.conv2d(x, w, padding=1)
        sn.conv2d_backward(x, w, g, padding=1)

    def torch_big():
        xt.grad = wt.grad = None
        F.conv2d(xt, wt, padding=1).backward(gt)

    out.append(
        (
            "conv2d N=8, 16->32, 64x64, 3x3, pad 1: forward+backward",
            *race(ours_big, torch_big, 2, 5),
            ">= 0.5",
        )
    )
    return out


def fmt(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.1f} ms"


def main() -> None:
    blas, threads = blas_info()
    torch.set_num_threads(threads or os.cpu_count() or 1)
    print(f"machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} CPUs visible")
    print(
        f"numpy {np.__version__} ({blas}, {threads} BLAS threads); torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads; float64"
    )
    envs = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP_", "MKL_"))}
    print(f"BLAS/OMP environment: {envs or 'none set'}")
    print()
    print("| case | symconv | torch | ratio torch/symconv | target |")
    print("|---|---:|---:|---:|---|")
    for name, ours, theirs, target in rows():
        print(f"| {name} | {fmt(ours)} | {fmt(theirs)} | {theirs / ours:.2f} | {target} |")


if __name__ == "__main__":
    main()
