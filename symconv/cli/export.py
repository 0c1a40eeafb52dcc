"""``symconv export prairielearn SPEC DIR``: a spec as a PrairieLearn question directory (grader.prairielearn).

DIR gets info.json, question.html, server.py and spec.json (created if missing; those four files are replaced,
nothing else in DIR is touched). Copy DIR into a course's ``questions/``; the README's PrairieLearn section says
how to install symconv where PrairieLearn runs server.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from symconv.errors import SymconvError


def register(sub: Any) -> None:
    """Add ``symconv export`` (with its one format, ``prairielearn``) to the subcommands ``sub``."""
    p = sub.add_parser("export", help="write a spec as a question for another system (PrairieLearn)",
                       description="Write a problem spec in another system's question format.")
    formats = p.add_subparsers(dest="format", metavar="FORMAT")
    pl = formats.add_parser(
        "prairielearn", help="a PrairieLearn question directory",
        description="Write a PrairieLearn question directory (info.json, question.html, server.py, spec.json): "
                    "server.py draws each variant from PrairieLearn's variant seed and grades with symconv's "
                    "grader (per-entry credit, diagnoses, feedback). Copy DIR into the course's questions/.")
    pl.add_argument("spec", metavar="SPEC", help="problem spec (YAML, TOML or JSON), with or without variants:")
    pl.add_argument("dir", metavar="DIR", help="the question directory to write (its name is the question's QID)")
    pl.set_defaults(func=run)
    p.set_defaults(func=lambda args: _missing_format(p))


def _missing_format(parser: argparse.ArgumentParser) -> int:
    from symconv.cli import UsageError

    raise UsageError(f"{parser.prog}: choose a format: prairielearn")


def run(args: argparse.Namespace) -> int:
    """Write the question directory of ``args.spec`` into ``args.dir``; returns the exit code."""
    from grader.prairielearn import question_files
    from symconv.spec import read_spec_data

    data, where, _ = read_spec_data(args.spec)
    files = question_files(data, where)
    out = Path(args.dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")
    except OSError as err:
        raise SymconvError(f"cannot write {out}: {err.strerror or err}") from None
    print(f"wrote {out}/ ({', '.join(sorted(files))}); copy it into the course's questions/")
    return 0
