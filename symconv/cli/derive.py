"""``symconv derive``: every ∂E/∂A_ij (or ∂E/∂B_mn) as a sum of kernel terms, by the chain rule."""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from symconv.chain import chain_rule
from symconv.conv import conv2d_grad
from symconv.latex import latex
from symconv.matrices import sym_matrix
from symconv.sizes import output_size
from symconv.verify import verify_conv2d_grad

MAX_SIDE = 128  # symbolic work grows with the input area times the kernel area


def size(text: str) -> tuple[int, int]:
    """``5x5``, ``5×5``, ``5,7`` or ``5`` -> (rows, cols)."""
    m = re.fullmatch(r"\s*(\d{1,4})\s*(?:[x×X,]\s*(\d{1,4}))?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"expected a size like 5x5, got {text!r}")
    rows, cols = int(m.group(1)), int(m.group(2) or m.group(1))
    if not (1 <= rows <= MAX_SIDE and 1 <= cols <= MAX_SIDE):
        raise argparse.ArgumentTypeError(f"sizes must be from 1 to {MAX_SIDE}, got {text!r}")
    return rows, cols


def pair_arg(text: str) -> int | tuple[int, int]:
    """``2`` or ``2,1`` -> an int or an (h, w) pair."""
    m = re.fullmatch(r"\s*(\d{1,3})\s*(?:,\s*(\d{1,3}))?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"expected an integer or h,w, got {text!r}")
    return int(m.group(1)) if m.group(2) is None else (int(m.group(1)), int(m.group(2)))


def register(sub: Any) -> None:
    p = sub.add_parser("derive", help="derive dE/dA_ij (or dE/dB_mn) as sums of kernel terms",
                       description="Derive every entry of the input (or kernel) gradient of E = sum(G * (A ⋆ B)) "
                                   "by the chain rule, symbolically, and check it numerically.")
    p.add_argument("--input", type=size, default=(5, 5), metavar="HxW", help="input size (default 5x5)")
    p.add_argument("--kernel", type=size, default=(3, 3), metavar="HxW", help="kernel size (default 3x3)")
    p.add_argument("--stride", type=pair_arg, default=1, metavar="S")
    p.add_argument("--padding", type=pair_arg, default=0, metavar="P")
    p.add_argument("--dilation", type=pair_arg, default=1, metavar="D")
    p.add_argument("--upstream", choices=("ones", "symbolic"), default="ones",
                   help="dE/dC: all ones (default) or symbolic G_uv")
    p.add_argument("--wrt", choices=("input", "kernel"), default="input")
    p.add_argument("--chain", action="store_true", help="also show the chain-rule expansion of each entry")
    p.add_argument("--format", choices=("text", "latex", "json"), default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg = dict(stride=args.stride, padding=args.padding, dilation=args.dilation)
    A, B = sym_matrix("A", *args.input), sym_matrix("B", *args.kernel)
    out_shape = tuple(output_size(args.input[a], args.kernel[a], **{k: _axis(v, a) for k, v in cfg.items()})
                      for a in (0, 1))
    G = sym_matrix("G", *out_shape) if args.upstream == "symbolic" else None
    dA, dB = conv2d_grad(A, B, G, **cfg)
    verify_conv2d_grad(A, B, G, dA, dB, **cfg)
    wrt, grad = (A, dA) if args.wrt == "input" else (B, dB)
    rules = {}
    if args.chain and args.wrt == "input":
        rules = {(i, j): chain_rule(A, B, i, j, upstream=G, **cfg)
                 for i in range(1, A.rows + 1) for j in range(1, A.cols + 1)}
    entries = [(wrt[i, j], grad[i, j], rules.get((i + 1, j + 1))) for i in range(wrt.rows) for j in range(wrt.cols)]
    if args.format == "json":
        print(json.dumps({
            "input": list(args.input), "kernel": list(args.kernel), "output": list(out_shape),
            "stride": args.stride, "padding": args.padding, "dilation": args.dilation,
            "upstream": args.upstream, "wrt": args.wrt,
            "entries": {str(s): str(e) for s, e, _ in entries},
            "latex": {str(s): latex(e) for s, e, _ in entries}}, indent=2))
    elif args.format == "latex":
        print(r"\begin{align*}")
        lines = [(r.to_latex() if r else rf"\frac{{\partial E}}{{\partial {latex(s)}}} &= {latex(e)}")
                 .replace(" = ", " &= ", 1) for s, e, r in entries]
        print(" \\\\\n".join(lines))
        print(r"\end{align*}")
    else:
        print(f"E = sum(G * C), C = A ⋆ B: A {_shape(args.input)}, B {_shape(args.kernel)} -> C {_shape(out_shape)};"
              f" dE/dC = {'G' if G is not None else 'ones'}; checked numerically")
        for s, e, r in entries:
            print(str(r) if r else f"dE/d{s} = {e}")
    return 0


def _axis(v: int | tuple[int, int], a: int) -> int:
    return v[a] if isinstance(v, tuple) else v


def _shape(s: tuple[int, ...]) -> str:
    return "x".join(map(str, s))
