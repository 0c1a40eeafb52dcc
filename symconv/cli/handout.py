"""``symconv handout``: the problems of a spec without their solutions, as DIR/<name>-handout.tex and .pdf."""

from __future__ import annotations

import argparse
from typing import Any

from symconv.cli.solve import add_typeset_arguments, typeset
from symconv.document import build_document
from symconv.document.compile import INSTALL_HINT, safe_name
from symconv.solution import derive_solution
from symconv.spec import load_spec

SUFFIX = "-handout"   # DIR/<name>-handout.tex, so a handout never overwrites the solutions of `symconv solve`


def register(sub: Any) -> None:
    """Add ``symconv handout`` to the subcommands ``sub``."""
    p = sub.add_parser(
        "handout", help="typeset the problems of a spec without solutions (.tex and .pdf)",
        description="Typeset the problem-only handout of a problem spec: the title block, the inputs, each "
                    "problem's and part's text with its points, and room for the answer; no solution. Writes "
                    "DIR/<name>-handout.tex and, when TeX is installed, DIR/<name>-handout.pdf (the pipeline of "
                    "`symconv solve`).",
        epilog="PDF: built when latexmk and pdflatex are on PATH, as for `symconv solve`; --pdf makes a missing "
               "TeX an error (exit 1); --tex-only never runs TeX. " + INSTALL_HINT[0].upper() + INSTALL_HINT[1:]
               + ".")
    p.add_argument("spec", nargs="?", default=None, metavar="SPEC",
                   help="problem spec (YAML, TOML or JSON); default: the built-in homework")
    add_typeset_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Typeset the spec's problems without solutions (.tex, and .pdf when TeX is there); returns the exit code."""
    spec = load_spec(args.spec)
    # derived as for `solve` (a spec the engine cannot solve gets no handout), but nothing derived is typeset
    return typeset(build_document(derive_solution(spec), handout=True), safe_name(spec.name) + SUFFIX, args)
