"""The ``symconv`` command: parses arguments, calls the library, prints, sets the exit code.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds its parser and sets
``func`` (``args -> int``) as a default. Errors reach the user as one line, never a traceback:

- exit 2: usage errors (bad arguments, or an invalid configuration given by them);
- exit 1: the command ran but failed (bad input file, failed verification, ...).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from symconv.errors import ConfigError, SymconvError

# Subcommand modules, in the order `symconv --help` lists them.
SUBCOMMANDS = ("derive", "limits", "solve", "handout", "answer_sheet", "grade", "extract", "bundle", "export",
               "variant", "handouts")


class UsageError(SymconvError):
    """Bad command-line arguments (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit 2."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The ``symconv`` parser with every subcommand of SUBCOMMANDS registered, in order.

    >>> build_parser().parse_args(["limits", "--window", "1,2"]).command
    'limits'"""
    parser = _Parser(prog="symconv", description="Symbolic convolution and pooling: derive, prove, typeset, grade.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in SUBCOMMANDS:
        importlib.import_module(f"symconv.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (also used by tests, in-process)."""
    try:  # building the parser imports the engine (SymPy): a Ctrl-C while it loads is handled below too
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except (UsageError, ConfigError) as err:  # bad arguments, or a configuration they describe
        print(f"error: {err}", file=sys.stderr)
        return 2
    except SymconvError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `symconv derive | head`: the reader left; not an error worth a traceback
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (stdout must stay valid until exit)
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    """The console script ``symconv``: run ``main`` and exit with its code."""
    sys.exit(main())
