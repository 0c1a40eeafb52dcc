"""``symconv grade DIR_OR_FILES... [--spec SPEC] [--out OUT] [--force] [--jobs N] [--pdf] [--budget SECONDS]``.

Grades every submission (a directory is searched recursively for submission files, and LMS export layouts give
the student ids: grader.discover) in parallel worker processes, each submission under a time budget; files it
skips are counted, with their reasons, on stderr. Without --out it prints a table per student; with --out it writes
results/, feedback/, grades.csv, summary.md and histogram.png (see grader.outputs), with a progress bar on a
terminal; OUT then holds exactly this run's results (a non-empty OUT that symconv did not write is refused unless
--force). Exit 0 when every file was graded, 1 when some could not be (each still gets its results file and CSV
row, with status=error and the reason) or OUT was refused or --overrides is invalid, 2 for usage errors, 3 when
every file was graded but some answers wait for a person (needs-review; a TA settles them with --overrides FILE,
see grader.overrides), 130 on Ctrl-C and 143 on SIGTERM (workers are killed, nothing is left half-written).

A spec with variants needs ``--secret FILE`` (the course secret): each submission is then graded against its own
student's variant, and answers right for another variant are diagnosed ``other-variant`` (grader.variants).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from typing import Any

from grader.batch import DEFAULT_BUDGET, Graded, grade_batch
from grader.discover import Discovery, DiscoveryError, discover
from grader.errors import GraderError
from grader.interrupts import Terminated, sigterm_raises
from grader.overrides import apply_overrides_file
from grader.result import ERROR, REVIEW, exit_code
from symconv.cli import UsageError
from symconv.spec import load_spec


def register(sub: Any) -> None:
    """Add ``symconv grade`` to the subcommands ``sub``."""
    p = sub.add_parser("grade", help="grade student submissions against a spec",
                       description="Grade submission files (YAML, JSON, TOML, a LaTeX answer sheet, or a student's own "
                                   "write-up in LaTeX, Markdown, text or a notebook) against a "
                                   "spec, in parallel, each under a time budget.")
    p.add_argument("inputs", nargs="+", metavar="DIR_OR_FILE", help="submission files, or directories of them")
    p.add_argument("--spec", default=None, help="problem spec (default: the built-in homework)")
    p.add_argument("--out", default=None, help="write results/, feedback/, grades.csv and summary.md here")
    p.add_argument("--force", action="store_true",
                   help="write into a non-empty --out that symconv did not write (its files are left alone)")
    p.add_argument("--jobs", type=_positive(int), default=os.cpu_count() or 1, metavar="N",
                   help="worker processes (default: the number of CPUs)")
    p.add_argument("--pdf", action="store_true", help="also build a feedback PDF per student (needs --out)")
    p.add_argument("--overrides", default=None, metavar="FILE",
                   help="a TA's scores and comments per student and part (YAML), applied after grading")
    p.add_argument("--roster", default=None, metavar="CSV",
                   help="map the ids write-ups give (a name, a student number, the file name) to gradebook ids")
    p.add_argument("--id-column", default=None, metavar="NAME",
                   help="the roster's id column, as given to symconv handouts (default: the same rule as handouts)")
    p.add_argument("--secret", default=None, metavar="FILE",
                   help="the course secret (a spec with variants: each student is graded against their own variant)")
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


def run(args: argparse.Namespace) -> int:
    """Grade the submissions found in the inputs, print a table, and write the outputs with ``--out``; returns
    the exit code (see the module docstring)."""
    if args.pdf and not args.out:
        raise UsageError("--pdf needs --out")
    try:
        found = discover(args.inputs)
    except DiscoveryError as err:
        raise UsageError(str(err)) from None
    try:
        with sigterm_raises():  # SIGTERM takes Ctrl-C's way out: workers killed, no half-written file
            return _run(args, found)
    except KeyboardInterrupt as err:
        # The workers are gone and nothing is half-written; what is left is the interpreter's exit, whose last
        # garbage collection over SymPy's and torch's objects takes seconds on a busy machine: exempt them.
        gc.freeze()
        if isinstance(err, Terminated):
            print("terminated", file=sys.stderr)
            return 143
        raise


def _run(args: argparse.Namespace, found: Discovery) -> int:
    if found.skipped:
        print(_plain(found.skipped_line()), file=sys.stderr)
    try:
        if args.out:
            from grader.outputs import check_out

            check_out(args.out, args.force)  # before grading, not after
        spec = load_spec(args.spec)
        from grader.writeup.roster import apply_roster, load_roster

        roster = load_roster(args.roster, args.id_column) if args.roster else None   # fails before grading
        from grader.variants import VariantGrader, check_secret, match_classmates

        secret = check_secret(args.spec, args.secret)   # a spec with variants needs it; before grading
        grade_fn = VariantGrader(args.spec, secret, roster=roster) if secret is not None else None
        if grade_fn is not None and roster is None:
            print("warning: grading variants without --roster: a student id that is misspelt draws another "
                  "variant; pass --roster CSV to check every id against the class list", file=sys.stderr)
        graded = apply_roster(roster, _grade(found, spec, args, grade_fn))
        if grade_fn is not None:
            match_classmates(graded, spec)
        graded = apply_overrides_file(args.overrides, graded)
        warnings = []
        if args.out:
            from grader.outputs import write_outputs

            warnings = write_outputs(graded, spec, args.out, pdf=args.pdf, jobs=args.jobs, force=args.force,
                                     skipped=[(s.shown, s.reason) for s in found.skipped])
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
    review = sum(1 for g in graded if g.result.status == REVIEW)
    if review:
        where = f"{args.out}/summary.md lists them" if args.out else "the tables above say which"
        print(f"note: {review} submission{'s' if review > 1 else ''} {'have' if review > 1 else 'has'} answers a "
              f"person must read ({where}); settle them with --overrides FILE", file=sys.stderr)
    return exit_code([g.result for g in graded])  # 0 graded, 1 some file could not be, 3 answers need review


def _grade(found: Discovery, spec: Any, args: argparse.Namespace, grade_fn: Any = None) -> list[Graded]:
    from rich.console import Console

    files, ids = [f.path for f in found.files], [f.student for f in found.files]
    console = Console(stderr=True)
    if not (args.out and console.is_terminal):
        return grade_batch(files, spec, jobs=args.jobs, budget=args.budget, ids=ids, grade_fn=grade_fn)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # no refresh thread: the pool forks workers, and forking while another thread holds a lock is unsafe
    with Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, auto_refresh=False, transient=True) as progress:
        task = progress.add_task("grading", total=len(files))

        def advance(_: Graded) -> None:
            progress.advance(task)
            progress.refresh()

        return grade_batch(files, spec, jobs=args.jobs, budget=args.budget, ids=ids, on_result=advance,
                           grade_fn=grade_fn)


def _plain(text: str) -> str:
    """Student-influenced text for a terminal: no control characters (no escape sequences)."""
    return "".join(c if c == "\n" or c.isprintable() else "?" for c in text)


def _print_tables(graded: list[Graded]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from grader.feedback import number

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
