"""``symconv derive``: every ∂E/∂A_ij (or ∂E/∂B_mn) as a sum of kernel terms, by the chain rule."""

from __future__ import annotations

import argparse
import re
from typing import Any

from symconv.derivation import derive

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
    """Add ``symconv derive`` to the subcommands ``sub``."""
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
    """Print the derived gradient (``symconv.derive``) as text, LaTeX or JSON; returns the exit code."""
    result = derive(args.input, args.kernel, stride=args.stride, padding=args.padding, dilation=args.dilation,
                    upstream=args.upstream, wrt=args.wrt, chain=args.chain)
    print({"json": result.to_json, "latex": result.to_latex, "text": result.to_text}[args.format]())
    return 0
