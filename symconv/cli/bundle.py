"""``symconv gradescope-bundle [--spec SPEC] -o autograder.zip``: the Gradescope autograder (grader.gradescope)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    """Add ``symconv gradescope-bundle`` to the subcommands ``sub``."""
    p = sub.add_parser("gradescope-bundle", help="build a Gradescope autograder zip",
                       description="Build autograder.zip for Gradescope: setup.sh installs symconv, run_autograder "
                                   "grades /autograder/submission against the spec and writes results.json.")
    p.add_argument("--spec", default=None, help="problem spec (default: the built-in homework)")
    p.add_argument("-o", "--output", required=True, metavar="ZIP", help="where to write the zip")
    p.add_argument("--secret", default=None, metavar="FILE",
                   help="the course secret, for a spec with variants (bundled as a file, never in the spec)")
    p.add_argument("--roster", default=None, metavar="CSV", help="the class list, to check each submitter's id")
    p.add_argument("--id-column", default=None, metavar="NAME", help="the roster's id column, as for symconv handouts")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the Gradescope autograder zip; returns the exit code (1 with one line when it cannot)."""
    from grader.errors import GraderError
    from grader.gradescope import build_bundle

    try:
        path = build_bundle(args.spec, args.output, secret=args.secret, roster=args.roster,
                            id_column=args.id_column)
    except (GraderError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {path}: upload it as the autograder of a Gradescope programming assignment")
    return 0
