r"""``symconv handouts``: every student's own problem: a handout PDF and an answer sheet per student, a manifest.

For each student of the roster: their variant of the spec (symconv.variants), derived and verified by the engine
(a variant the engine cannot solve gets no handout), typeset as ``symconv handout`` does with the student named
on the title line, into DIR/<id>/<name>-handout.tex (and .pdf), and the spec's answer sheet with
``\student{<id>}`` filled in, into DIR/<id>/answer-sheet.tex. DIR/manifest.csv lists each student's id, name,
variant fingerprint (equal fingerprints, identical problems), files and status. The derivations run in this
process one after another (they take milliseconds); the TeX runs, which take seconds, run ``--jobs`` at a time.
A student whose variant or PDF fails is reported and listed in the manifest; the others are still built, and the
exit code is then 1. The course secret is read, never written.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from symconv.cli.solve import add_typeset_arguments
from symconv.document import build_document, compile_pdf, tex_available, write_tex
from symconv.document.answer_sheet import answer_sheet
from symconv.document.compile import INSTALL_HINT, TexMissing, safe_name
from symconv.errors import SymconvError
from symconv.roster import RosterEntry, read_roster
from symconv.solution import derive_solution
from symconv.spec import read_spec_data
from symconv.variants import draw, fingerprint, load_secret

MANIFEST = "manifest.csv"
SHEET = "answer-sheet.tex"
_SHEET_ID = re.compile(r"[\x21-\x7e]+")   # what \student{...} can hold and the grader read back


def register(sub: Any) -> None:
    """Add ``symconv handouts`` to the subcommands ``sub``."""
    p = sub.add_parser(
        "handouts", help="one handout PDF and answer sheet per student of a roster, each with their own variant",
        description="Build every student's own problem from a spec with a variants: section: for each student "
                    "of the roster, DIR/<id>/<name>-handout.tex and .pdf (the problems, the student's inputs, no "
                    "solution) and DIR/<id>/answer-sheet.tex with the id filled in; DIR/manifest.csv maps each "
                    "student to their variant's fingerprint. TeX runs --jobs at a time; a progress line goes to "
                    "standard error. A student who fails is reported and the others are still built (exit 1).",
        epilog="The roster is a CSV export of Canvas, Gradescope or Moodle (or id,name,email). PDF: built when "
               "latexmk and pdflatex are on PATH; --pdf makes a missing TeX an error, --tex-only never runs TeX. "
               + INSTALL_HINT[0].upper() + INSTALL_HINT[1:] + ".")
    p.add_argument("spec", nargs="?", default=None, metavar="SPEC",
                   help="problem spec (YAML, TOML or JSON) with a variants: section")
    p.add_argument("--roster", required=True, metavar="CSV", help="the class roster (Canvas, Gradescope, Moodle)")
    p.add_argument("--id-column", default=None, metavar="NAME",
                   help="the roster's id column (default: SIS User ID, SID, ID number, Student ID or ID)")
    p.add_argument("--secret", required=True, metavar="FILE", help="the course secret's file (chmod 600)")
    p.add_argument("--jobs", type=_jobs, default=os.cpu_count() or 1, metavar="N",
                   help="TeX runs at a time (default: the number of CPUs)")
    add_typeset_arguments(p)
    p.set_defaults(func=run)


def _jobs(text: str) -> int:
    from symconv.cli import UsageError

    if not text.isdigit() or not 1 <= int(text) <= 256:
        raise UsageError(f"symconv handouts: --jobs must be an integer from 1 to 256, not {text!r}")
    return int(text)


@dataclass
class Built:
    """One student's row of the manifest."""

    student: RosterEntry
    folder: str
    fingerprint: str = ""
    handout: str = ""
    sheet: str = ""
    error: str = ""


def student_sheet(sheet: str, student: str, variant: str) -> str:
    r"""The answer sheet with ``\student{<id>}`` filled in and the variant's fingerprint in a comment; a
    SymconvError for an id the sheet cannot hold as it is (the grader reads it back).

    >>> print(student_sheet("%\n\\student{}\n", "s001", "ab12"))
    % variant ab12 (symconv handouts)
    %
    \student{s001}
    <BLANKLINE>
    """
    if not _SHEET_ID.fullmatch(student) or any(c in student for c in "%\\#{}"):
        raise SymconvError(f"student id {student!r} cannot be written in \\student{{}} (printable ASCII without "
                           "spaces, %, \\, #, braces)")
    if "\n\\student{}\n" not in sheet:
        raise SymconvError("the answer sheet has no \\student{} line")
    filled = sheet.replace("\n\\student{}\n", f"\n\\student{{{student}}}\n", 1)
    return f"% variant {variant} (symconv handouts)\n" + filled


class Progress:
    """A progress line on standard error: redrawn in place on a terminal, every tenth otherwise (logs)."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream, self.done, self.failed = total, stream, 0, 0
        self.lock = threading.Lock()
        self.tty = stream.isatty()

    def step(self, failed: bool) -> None:
        """Count one student done (``failed`` or built) and show the line (called from the TeX threads too)."""
        with self.lock:
            self.done += 1
            self.failed += failed
            line = f"handouts: {self.done}/{self.total} built" + (f", {self.failed} failed" if self.failed else "")
            if self.tty:
                print("\r" + line, end="\n" if self.done == self.total else "", file=self.stream, flush=True)
            elif self.done == self.total or self.done % max(1, self.total // 10) == 0:
                print(line, file=self.stream, flush=True)


def run(args: argparse.Namespace) -> int:
    """Build every student's handout and answer sheet and the manifest; returns the exit code."""
    data, where, lines = read_spec_data(args.spec)
    secret = load_secret(args.secret)
    students = read_roster(args.roster, args.id_column)
    folders: dict[str, str] = {}
    for s in students:   # ids that differ only in characters a file name cannot hold would share a folder
        folder = safe_name(s.id)
        if folder in folders:
            raise SymconvError(f"{args.roster}: ids {folders[folder]!r} and {s.id!r} both make the folder {folder}")
        folders[folder] = s.id
    compile_them = not args.tex_only and tex_available()
    if not args.tex_only and not compile_them:
        if args.pdf:
            raise TexMissing()
        print(f"note: no PDFs: latexmk/pdflatex not found; {INSTALL_HINT}", file=sys.stderr)
    out = Path(args.out)
    progress = Progress(len(students), sys.stderr)
    built = [Built(s, safe_name(s.id)) for s in students]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        runs: list[tuple[Built, Future[Path]]] = []
        try:
            for b in built:
                try:
                    tex = _prepare(b, data, where, lines, secret, out)
                except SymconvError as err:
                    b.error = str(err)
                    progress.step(True)
                    continue
                if not compile_them:
                    b.handout = str(tex)
                    progress.step(False)
                    continue
                future = pool.submit(compile_pdf, tex, args.timeout)
                future.add_done_callback(lambda f: progress.step(f.exception() is not None))
                runs.append((b, future))
            for b, future in runs:
                try:
                    b.handout = str(future.result())
                except SymconvError as err:
                    b.error = str(err)
        except KeyboardInterrupt:
            pool.shutdown(wait=True, cancel_futures=True)   # the TeX runs under way end within their timeout
            raise
    manifest = _write_manifest(out, built)
    failed = [b for b in built if b.error]
    for b in failed:
        print(f"error: {b.student.id}: {b.error}", file=sys.stderr)
    print(f"wrote {len(built) - len(failed)} of {len(built)} handouts into {out}; manifest {manifest}")
    return 1 if failed else 0


def _prepare(b: Built, data: dict[str, Any], where: str, lines: dict[str, int], secret: str, out: Path) -> Path:
    """Draw, derive and write one student's handout .tex and answer sheet; returns the handout's .tex."""
    drawn = draw(data, b.student.id, secret, where=where, lines=lines)
    b.fingerprint = fingerprint(drawn.spec)
    who = f"{b.student.name} ({b.student.id})" if b.student.name else b.student.id
    spec = replace(drawn.spec, date=f"{drawn.spec.date}, for {who}" if drawn.spec.date else f"For {who}")
    sheet = student_sheet(answer_sheet(drawn.spec), b.student.id, b.fingerprint)   # an id it cannot hold: stop
    folder = out / b.folder
    tex = write_tex(build_document(derive_solution(spec), handout=True), folder, f"{spec.name}-handout")
    path = folder / SHEET
    try:
        path.write_text(sheet, encoding="utf-8")
    except OSError as err:
        raise SymconvError(f"cannot write {path}: {err.strerror or err}") from None
    b.sheet = str(path)
    return tex


def _cell(text: str) -> str:
    """A manifest cell a spreadsheet shows as text: a roster's ``=cmd|...`` name is not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _write_manifest(out: Path, built: list[Built]) -> Path:
    path = out / MANIFEST
    try:
        out.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["student", "name", "email", "fingerprint", "handout", "answer_sheet", "status"])
            for b in built:
                w.writerow([b.student.id, _cell(b.student.name), _cell(b.student.email), b.fingerprint,
                            os.path.relpath(b.handout, out) if b.handout else "",
                            os.path.relpath(b.sheet, out) if b.sheet else "", b.error or "ok"])
    except OSError as err:
        raise SymconvError(f"cannot write {path}: {err.strerror or err}") from None
    return path
