"""Per-student handouts (issue 13): ``symconv handouts`` for N students of the homework with variants, TeX in
parallel.

A roster of N generated ids and a course secret (0600) are written to a temporary directory. Measured in the
same run, each through the command itself (``symconv.cli.main``, in-process):

- (a one-student warm-up, not timed: imports and caches);
- baseline: K students with ``--jobs 1`` (draw, derive, typeset, one latexmk after another);
- tex-only: the N students' variants drawn, derived and written (.tex and answer sheets) without TeX: what the
  command costs besides TeX;
- handouts: the N students with ``--jobs J``: handout PDFs, answer sheets, manifest.

Every build is checked: the manifest lists N students, all ok, N distinct fingerprints.

Run: .venv/bin/python bench/bench_handouts.py [--students 400] [--jobs 2] [--baseline 4]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import tempfile
import time
from pathlib import Path

from symconv.cli import main as symconv
from symconv.spec import TEMPLATES

SPEC = TEMPLATES / "homework-variants.yaml"


def course(folder: Path, n: int) -> tuple[Path, Path]:
    """A roster of n students (Gradescope's columns) and a course secret readable by its owner only."""
    roster = folder / f"roster-{n}.csv"
    roster.write_text("First Name,Last Name,SID,Email\n"
                      + "".join(f"Student,{k:04d},s{k:04d},s{k:04d}@uni.edu\n" for k in range(n)))
    secret = folder / "secret"
    if not secret.exists():
        secret.write_text(os.urandom(16).hex() + "\n")
        secret.chmod(0o600)
    return roster, secret


def handouts(roster: Path, secret: Path, out: Path, *options: str) -> float:
    """Run ``symconv handouts`` and return its wall time; its manifest must list every student, all ok."""
    argv = ["handouts", str(SPEC), "--roster", str(roster), "--secret", str(secret), "--out", str(out), *options]
    t = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = symconv(argv)
    elapsed = time.perf_counter() - t
    rows = list(csv.DictReader((out / "manifest.csv").open(encoding="utf-8")))
    assert code == 0 and all(r["status"] == "ok" for r in rows), f"handouts failed (exit {code})"
    assert len(rows) == len({r["fingerprint"] for r in rows}) == len(roster.read_text().splitlines()) - 1
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=400)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--baseline", type=int, default=4, help="students built serially for the baseline")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small, secret = course(folder, args.baseline)
        roster, _ = course(folder, args.students)
        handouts(course(folder, 1)[0], secret, folder / "warm-up", "--tex-only")   # imports, caches: not timed
        base = handouts(small, secret, folder / "baseline", "--jobs", "1", "--pdf")
        tex_only = handouts(roster, secret, folder / "tex-only", "--tex-only")
        built = handouts(roster, secret, folder / "handouts", "--jobs", str(args.jobs), "--pdf")
    per_base = base / args.baseline
    print(f"baseline, {args.baseline} handouts serially (--jobs 1): {base:7.1f} s  "
          f"({per_base:.2f} s per student, {1 / per_base:5.2f} students/s)")
    print(f"{args.students} variants drawn, derived and written, no TeX: {tex_only:7.1f} s  "
          f"({1000 * tex_only / args.students:.0f} ms per student)")
    print(f"{args.students} handouts, --jobs {args.jobs}:             {built:7.1f} s  "
          f"({built / args.students:.2f} s per student, {args.students / built:5.2f} students/s, "
          f"{per_base * args.students / built:.2f}x the baseline's rate)")


if __name__ == "__main__":
    main()
