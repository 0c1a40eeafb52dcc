"""``symconv variant``: the problem a student gets from a spec with a ``variants:`` section (its drawn inputs and
fingerprint), and the ``--student``/``--secret`` pair other commands share (``symconv solve --student``)."""

from __future__ import annotations

import argparse
from typing import Any

import yaml

from symconv.spec import Spec, load_spec, read_spec_data
from symconv.variants import draw, fingerprint, load_secret

SHOWN = ("matrices", "convolution", "pooling")   # the sections a variant draws


def register(sub: Any) -> None:
    """Add ``symconv variant`` to the subcommands ``sub``."""
    p = sub.add_parser(
        "variant", help="show a student's variant of a spec (its drawn inputs and fingerprint)",
        description="Draw a student's variant of a problem spec with a variants: section: the same student, spec "
                    "and course secret always give the same problem. Prints the student, the fingerprint (equal "
                    "fingerprints, identical problems) and the drawn inputs as YAML; never the secret.")
    p.add_argument("spec", nargs="?", default=None, metavar="SPEC",
                   help="problem spec (YAML, TOML or JSON); default: the built-in homework")
    add_student_arguments(p, required=True)
    p.set_defaults(func=run)


def add_student_arguments(p: argparse.ArgumentParser, required: bool = False) -> None:
    """--student ID and --secret FILE (for ``variant``, and optional for ``solve``)."""
    p.add_argument("--student", required=required, metavar="ID", help="the student's id, as the roster gives it")
    p.add_argument("--secret", required=required, metavar="FILE",
                   help="the course secret's file (one line, kept by the instructor: chmod 600)")


def student_spec(args: argparse.Namespace) -> Spec:
    """The spec of ``args.spec``: the student's variant when ``--student`` is given (with ``--secret``), else the
    spec's default problem. A UsageError (exit 2) for one of the two without the other."""
    from symconv.cli import UsageError
    from symconv.variants import variant_spec

    student, secret = getattr(args, "student", None), getattr(args, "secret", None)
    if (student is None) != (secret is None):
        raise UsageError(f"symconv {args.command}: --student and --secret go together")
    if student is None or secret is None:
        return load_spec(args.spec)
    return variant_spec(args.spec, student, load_secret(secret))


def run(args: argparse.Namespace) -> int:
    """Print the student's variant: student, fingerprint, and the drawn sections as YAML."""
    data, where, lines = read_spec_data(args.spec)
    drawn = draw(data, args.student, load_secret(args.secret), where=where, lines=lines)
    shown = {"spec": where, "student": args.student.strip(), "fingerprint": fingerprint(drawn.spec)}
    shown.update({key: drawn.data[key] for key in SHOWN if key in drawn.data})
    print(yaml.safe_dump(shown, sort_keys=False, default_flow_style=None, allow_unicode=True, width=120), end="")
    return 0
