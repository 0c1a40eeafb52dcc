"""``symconv limits``: the limits of LP pooling, for a concrete window or as a checked proof over N symbols.

    symconv limits --window 109,92,108,85 [--norm normalized|torch] [--abs] [--format text|latex|json]
    symconv limits --symbolic 4 [--norm normalized|torch] [--format text|latex|json]

Exit 0 when everything verified, 1 when a check failed, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from symconv.cli import UsageError
from symconv.errors import ConfigError
from symconv.limits import MAX_SYMBOLIC, MAX_WINDOW, NORMS, prove_max_limit, prove_p1, window_limits


def window_arg(text: str) -> list[str]:
    """``109,92,108,85`` -> the entries as strings (parsed exactly later, never evaluated)."""
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers like 109,92,108,85, got {text!r}")
    if len(items) > MAX_WINDOW:
        raise argparse.ArgumentTypeError(f"at most {MAX_WINDOW} entries (exact limits get slow), got {len(items)}")
    return items


def count_arg(text: str) -> int:
    """The number of symbolic entries, 1 to MAX_SYMBOLIC."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer N, got {text!r}") from None
    if not 1 <= n <= MAX_SYMBOLIC:
        raise argparse.ArgumentTypeError(f"N must be from 1 to {MAX_SYMBOLIC}, got {n}")
    return n


def register(sub: Any) -> None:
    """Add ``symconv limits`` to the subcommands ``sub``."""
    p = sub.add_parser("limits", help="prove and tabulate the limits of LP pooling (p = 1, p -> oo, 0, -oo)",
                       description="Limits of LP pooling: p = 1 is average (or, for PyTorch, sum) pooling and "
                                   "p -> oo is max pooling. For a window: exact limits by SymPy and a "
                                   "high-precision convergence table; for N symbols: a checked squeeze proof.")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--window", type=window_arg, metavar="X1,X2,...",
                      help="a window's entries (>= 0; write --window=-1,2 when the first is negative)")
    what.add_argument("--symbolic", type=count_arg, metavar="N", help="prove for N symbolic entries")
    p.add_argument("--norm", choices=NORMS, default="normalized",
                   help="normalized: ((1/N) sum x^p)^(1/p) (default); torch: (sum x^p)^(1/p), no 1/N")
    p.add_argument("--abs", action="store_true", help="use |x| (tends to max |x|, which is not max pooling)")
    p.add_argument("--format", choices=("text", "latex", "json"), default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the window's limits and convergence table, or the symbolic proofs, as text, LaTeX or JSON; returns
    0 when everything was verified, else 1."""
    if args.symbolic is not None:
        proofs = [prove_max_limit(args.symbolic, args.norm), prove_p1(args.symbolic, args.norm)]
        verified = all(proof.verified for proof in proofs)
        if args.format == "json":
            print(json.dumps({"n": args.symbolic, "norm": args.norm, "proofs": [p.to_dict() for p in proofs],
                              "verified": verified}, indent=2))
        else:
            print("\n\n".join(p.to_latex() if args.format == "latex" else p.to_text() for p in proofs))
        return 0 if verified else 1
    try:
        result = window_limits(args.window, args.norm, absolute=args.abs)
    except ConfigError as err:
        raise UsageError(f"--{err}") from None
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.to_latex() if args.format == "latex" else result.to_text())
    return 0 if result.verified else 1
