"""``symconv extract FILE... [--spec SPEC] [--out DIR]``: what was found per part in students' own write-ups.

Prints, for each write-up (.tex, .md, .txt or .ipynb), every part of the spec with where its answer was read
(line numbers, or cell numbers) and what was read; a part not found shows the nearest text. With ``--out`` it
also writes ``DIR/<file stem>.yaml``, an answer file in today's format (``student``, ``answers``) with the
locations as comments, for a TA to correct and grade with ``symconv grade``. Exit 0 when every file was read,
1 when some could not be (each gets a one-line error), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from grader.errors import GraderError
from symconv.cli import UsageError
from symconv.spec import load_spec

SHOWN = 100   # characters of an answer printed per part


def register(sub: Any) -> None:
    """Add ``symconv extract`` to the subcommands ``sub``."""
    p = sub.add_parser("extract", help="show what was found per part in students' own write-ups",
                       description="Find each part's answer in write-ups (.tex, .md, .txt, .ipynb) with no answer "
                                   "template; print where each was read, and optionally write answer files.")
    p.add_argument("files", nargs="+", metavar="FILE", help="write-ups to read")
    p.add_argument("--spec", default=None, help="problem spec (default: the built-in homework)")
    p.add_argument("--out", default=None, metavar="DIR", help="write DIR/<stem>.yaml answer files here")
    p.set_defaults(func=run)


def _plain(text: object) -> str:
    """Student text for a terminal: one line, no control characters."""
    return "".join(c if c.isprintable() else " " for c in " ".join(str(text).split()))


def _short(value: Any) -> str:
    text = _plain(value)
    return text if len(text) <= SHOWN else text[:SHOWN - 1] + "…"


def describe(x: Any) -> list[str]:
    """The lines ``symconv extract`` prints for one write-up's extraction."""
    lines = [f"{_plain(x.source)}: student {_plain(x.student)}"]
    for part, f in x.found.items():
        if f.answer is None:
            lines.append(f"  {part:<12} {'not found':<16} nearest text: {_short(f.candidate) or '(none)'}")
            continue
        if isinstance(f.answer, dict):
            shown = "; ".join(f"{k} ({f.each.get(k, '')}): {_short(v)}" for k, v in f.answer.items())
            if len(f.answer) > 3:
                shown = f"{len(f.answer)} entries: " + "; ".join(
                    f"{k} {f.each.get(k, '')}" for k in f.answer)
        else:
            shown = _short(f.answer)
        how = " (by content)" if f.how.startswith("by") else ""
        lines.append(f"  {part:<12} {f.where + how:<16} {shown}")
        lines += [f"  {'':<12} note: {_plain(n)}" for n in f.notes]
    return lines


def answer_file(x: Any) -> str:
    """The extraction as a YAML answer file, with where each answer was read as comments."""
    head = [f"# answers read from {x.source} by symconv extract; correct them and grade this file"]
    for part, f in x.found.items():
        head.append(f"# {part}: " + (f"{f.where}" if f.answer is not None else
                                     f"not found; nearest text: {_short(f.candidate) or '(none)'}"))
    body = yaml.safe_dump({"student": x.student, "answers": x.answers}, allow_unicode=True, sort_keys=False,
                          width=1000)
    return "\n".join(_plain(h) for h in head) + "\n" + body


def run(args: argparse.Namespace) -> int:
    """Print what was found per part in each write-up (and write answer files with ``--out``); returns the exit
    code (1 when a file could not be read)."""
    from grader.writeup import extract

    spec = load_spec(args.spec)
    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not out.is_dir():
        raise UsageError(f"--out {args.out} is not a directory")
    failed = 0
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(f"error: no such file: {name}", file=sys.stderr)
            failed += 1
            continue
        try:
            x = extract(path, spec)
        except GraderError as err:
            print(f"error: {_plain(err)}", file=sys.stderr)
            failed += 1
            continue
        print("\n".join(describe(x)))
        if out is not None:
            target = out / f"{path.stem}.yaml"
            try:
                out.mkdir(parents=True, exist_ok=True)
                target.write_text(answer_file(x), encoding="utf-8")
            except OSError as err:
                print(f"error: cannot write {target} ({err.strerror or err})", file=sys.stderr)
                failed += 1
                continue
            print(f"  wrote {target}")
    return 1 if failed else 0
