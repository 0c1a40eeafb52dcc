"""``symconv answer-sheet``: the LaTeX answer sheet of a spec, on stdout or in FILE."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from symconv.document.answer_sheet import answer_sheet
from symconv.errors import SymconvError
from symconv.spec import load_spec


def register(sub: Any) -> None:
    """Add ``symconv answer-sheet`` to the subcommands ``sub``."""
    p = sub.add_parser(
        "answer-sheet", help="write the LaTeX answer sheet of a spec",
        description="Generate the LaTeX answer sheet of a problem spec: \\student{} and one \\answer line per "
                    "part, or per entry of a part with entries, under the problems' titles. It compiles with "
                    "pdflatex as it is; students fill in the second braces and `symconv grade` reads it back.")
    p.add_argument("spec", nargs="?", default=None, metavar="SPEC",
                   help="problem spec (YAML, TOML or JSON); default: the built-in homework")
    p.add_argument("--out", default=None, metavar="FILE", help="write the sheet here (default: standard output)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the spec's answer sheet, or write it to ``--out``; returns the exit code."""
    sheet = answer_sheet(load_spec(args.spec))
    if args.out is None:
        print(sheet, end="")
        return 0
    out = Path(args.out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(sheet, encoding="utf-8")
    except OSError as err:
        raise SymconvError(f"cannot write {out}: {err.strerror or err}") from None
    print(f"wrote {out}")
    return 0
