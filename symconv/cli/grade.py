"""``symconv grade DIR_OR_FILES... [--spec SPEC] [--out OUT] [--jobs N] [--pdf] [--budget SECONDS]``.

Grades every submission (a directory means its .yaml/.yml/.json/.toml/.tex files) in parallel worker processes,
each submission under a time budget. Without --out it prints a table per student; with --out it writes
results/, feedback/, grades.csv, summary.md and histogram.png (see grader.outputs), with a progress bar on a
terminal. Exit 0 when every file was graded, 1 when some could not be (each still gets its results file and CSV
row, with status=error and the reason), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from grader.batch import DEFAULT_BUDGET, Graded, grade_batch
from grader.errors import GraderError
from grader.overrides import apply_overrides_file
from grader.result import ERROR, exit_code
from grader.submission import SUFFIXES
from symconv.cli import UsageError
from symconv.spec import load_spec


def register(sub: Any) -> None:
    p = sub.add_parser("grade", help="grade student submissions against a spec",
                       description="Grade submission files (YAML, JSON, TOML or a LaTeX answer sheet) against a "
                                   "spec, in parallel, each under a time budget.")
    p.add_argument("inputs", nargs="+", metavar="DIR_OR_FILE", help="submission files, or directories of them")
    p.add_argument("--spec", default=None, help="problem spec (default: the built-in homework)")
    p.add_argument("--out", default=None, help="write results/, feedback/, grades.csv and summary.md here")
    p.add_argument("--jobs", type=_positive(int), default=os.cpu_count() or 1, metavar="N",
                   help="worker processes (default: the number of CPUs)")
    p.add_argument("--pdf", action="store_true", help="also build a feedback PDF per student (needs --out)")
    p.add_argument("--overrides", default=None, metavar="FILE",
                   help="a TA's scores and comments per student and part (YAML), applied after grading")
    p.add_argument("--budget", type=_positive(float), default=DEFAULT_BUDGET, metavar="SECONDS",
                   help=f"time allowed per submission before its worker is killed (default {DEFAULT_BUDGET:g})")
    p.set_defaults(func=run)


def _positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
        if not value > 0 or value != value or value == float("inf"):
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value
    return parse


def collect(inputs: list[str]) -> list[Path]:
    """The files to grade: files as given, directories' submission files sorted by name; each file once."""
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.suffix.lower() in SUFFIXES and p.is_file() and not p.name.startswith("."))
            if not found:
                raise UsageError(f"no submission files ({', '.join(SUFFIXES)}) in {item}")
            files += found
        elif path.exists() or path.is_symlink():
            files.append(path)
        else:
            raise UsageError(f"no such file or directory: {item}")
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def run(args: argparse.Namespace) -> int:
    if args.pdf and not args.out:
        raise UsageError("--pdf needs --out")
    files = collect(args.inputs)
    spec = load_spec(args.spec)
    try:
        graded = apply_overrides_file(args.overrides, _grade(files, spec, args))
        warnings = []
        if args.out:
            from grader.outputs import write_outputs

            warnings = write_outputs(graded, spec, args.out, pdf=args.pdf, jobs=args.jobs)
    except (GraderError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    errors = [g for g in graded if g.result.status == ERROR]
    for line in [g.note for g in graded if g.note] + warnings:
        print(f"warning: {line}", file=sys.stderr)
    for g in errors:
        print(f"error: {_plain(g.result.error)}", file=sys.stderr)
    if args.out:
        print(f"graded {len(graded) - len(errors)} of {len(graded)} submissions; wrote {args.out}/grades.csv, "
              f"{args.out}/summary.md, {args.out}/results/ and {args.out}/feedback/")
    else:
        _print_tables(graded)
    return exit_code([g.result for g in graded])  # 0 graded, 1 some file could not be, 3 answers need review


def _grade(files: list[Path], spec: Any, args: argparse.Namespace) -> list[Graded]:
    from rich.console import Console

    console = Console(stderr=True)
    if not (args.out and console.is_terminal):
        return grade_batch(files, spec, jobs=args.jobs, budget=args.budget)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # no refresh thread: the pool forks workers, and forking while another thread holds a lock is unsafe
    with Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, auto_refresh=False, transient=True) as progress:
        task = progress.add_task("grading", total=len(files))

        def advance(_: Graded) -> None:
            progress.advance(task)
            progress.refresh()

        return grade_batch(files, spec, jobs=args.jobs, budget=args.budget, on_result=advance)


def _plain(text: str) -> str:
    """Student-influenced text for a terminal: no control characters (no escape sequences)."""
    return "".join(c if c == "\n" or c.isprintable() else "?" for c in text)


def _print_tables(graded: list[Graded]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from grader.outputs import number

    console = Console(highlight=False)
    for g in graded:
        r = g.result
        title = Text(f"{r.student}: {number(r.score)} / {number(r.max_score)}"
                     + (f"  (could not be graded: {_plain(r.error)})" if r.status == ERROR else ""))
        if r.status == ERROR:
            console.print(title)
            continue
        table = Table(title=title, title_justify="left", show_lines=False)
        for name, justify in (("Part", "left"), ("Score", "right"), ("Max", "right"), ("Diagnoses", "left"),
                              ("Feedback", "left")):
            table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
        for p in r.parts:
            table.add_row(Text(p.part), Text(number(p.score)), Text(number(p.max_score)),
                          Text(", ".join(p.diagnoses)), Text(_plain(p.feedback)))  # Text: no markup is read
        console.print(table)
