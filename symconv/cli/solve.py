"""``symconv solve``: the worked solutions of a problem spec as DIR/<name>.tex and DIR/<name>.pdf."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pylatex import Document

from symconv.cli.variant import add_student_arguments, student_spec
from symconv.document import build_document, compile_pdf, tex_available, write_tex
from symconv.document.compile import INSTALL_HINT, TexMissing, safe_name
from symconv.solution import derive_solution


def register(sub: Any) -> None:
    """Add ``symconv solve`` to the subcommands ``sub``."""
    p = sub.add_parser(
        "solve", help="typeset the worked solutions of a spec (.tex and .pdf)",
        description="Derive every answer of a problem spec, check it numerically and typeset the solutions: "
                    "writes DIR/<name>.tex and, when TeX is installed, DIR/<name>.pdf (latexmk + pdflatex, "
                    "no shell escape, file access kept inside DIR).",
        epilog="PDF: by default it is built when latexmk and pdflatex are on PATH; without them only the .tex is "
               "written, with a note on how to install TeX, and the exit code is 0. --pdf makes a missing TeX an "
               "error (exit 1); --tex-only never runs TeX. " + INSTALL_HINT[0].upper() + INSTALL_HINT[1:] + ".")
    p.add_argument("spec", nargs="?", default=None, metavar="SPEC",
                   help="problem spec (YAML, TOML or JSON); default: the built-in homework")
    add_typeset_arguments(p)
    add_student_arguments(p)   # --student ID --secret FILE: that student's variant (symconv.variants)
    p.set_defaults(func=run)


def add_typeset_arguments(p: argparse.ArgumentParser) -> None:
    """--out DIR, --pdf | --tex-only and --timeout (shared by ``solve`` and ``handout``)."""
    p.add_argument("--out", default="out", metavar="DIR", help="output directory (default: out)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--pdf", action="store_true", help="require the PDF: fail (exit 1) when TeX is missing")
    mode.add_argument("--tex-only", action="store_true", help="write the .tex only; do not run TeX")
    p.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS", help="limit for latexmk (default 300)")


def run(args: argparse.Namespace) -> int:
    """Derive the spec's solution and typeset it (.tex, and .pdf when TeX is there); returns the exit code."""
    spec = student_spec(args)
    name = spec.name + (f"-{args.student.strip()}" if args.student else "")   # DIR/<name>-<student>.tex
    return typeset(build_document(derive_solution(spec)), safe_name(name), args)


def typeset(doc: Document, name: str, args: argparse.Namespace) -> int:
    """Write ``doc`` as args.out/<name>.tex and, as ``--pdf``/``--tex-only`` and TeX's presence say, its PDF
    (shared by ``solve`` and ``handout``)."""
    tex = write_tex(doc, args.out, name)
    print(f"wrote {tex}")
    if args.tex_only:
        return 0
    if not tex_available():
        if args.pdf:
            raise TexMissing()
        print(f"note: no PDF: latexmk/pdflatex not found; {INSTALL_HINT}", file=sys.stderr)
        return 0
    print(f"wrote {compile_pdf(tex, timeout=args.timeout)}")
    return 0
