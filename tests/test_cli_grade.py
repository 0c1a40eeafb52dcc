"""``symconv grade``: the real grader end to end, in-process; exit codes; reruns; Ctrl-C in a subprocess."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from symconv import derive_solution, entry_symbol, load_spec
from symconv.cli import main
from symconv.latex import latex

SPEC = load_spec(None)
SOL = derive_solution(SPEC)
PARTS = [p.id for p in SPEC.parts]


def perfect_answers() -> dict:
    """Every answer from the engine's reference (LaTeX by the project printer), formulas as a student writes."""
    i, j = SOL.output_shape
    return {
        "1.1a": rf"{i} \times {j}",
        "1.1b": latex(SOL.output_size_formula),
        "1.1c": latex(SOL.output),
        "1.1d": {latex(entry_symbol("A", r, c)): latex(rule.total) for (r, c), rule in SOL.chain.items()},
        "1.1d-matrix": [[int(x) for x in row] for row in SOL.grad_input.tolist()],
        "1.2a": dict(SOL.pool_modules),
        "1.2b": {"max": r"\max_{(m,n) \in S_{ij}} x_{mn}", "avg": r"\frac{1}{N} \sum_{(m,n) \in S_{ij}} x_{mn}",
                 "lp": r"\left( \sum_{(m,n) \in S_{ij}} x_{mn}^p \right)^{1/p}"},
        "1.2c": latex(SOL.pooled_max),
        "1.2d": {"avg": "p = 1", "max": r"p \to \infty"},
    }


def with_slip() -> dict:
    """The perfect answers with one entry of C off by one."""
    answers = perfect_answers()
    c = [[int(x) for x in row] for row in SOL.output.tolist()]
    c[0][1] += 1
    answers["1.1c"] = c
    return answers


def write(folder: Path, name: str, answers: dict, student: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps({"answers": answers, **({"student": student} if student else {})}))
    return path


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def rows(out: Path) -> list[dict[str, str]]:
    with open(out / "grades.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_table_per_student_real_grader(tmp_path, capsys):
    write(tmp_path, "ada.json", perfect_answers())
    write(tmp_path, "bob.json", with_slip())
    assert main(["grade", str(tmp_path), "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    top = sum(p.points for p in SPEC.parts)
    assert f"ada: {top:g} / {top:g}" in out
    assert "bob: 21.1667 / 21.5" in out and "entry-slip" in out  # one of 9 entries of 3 points


def test_out_writes_everything_and_reruns_identically(tmp_path, capsys):
    subs = tmp_path / "subs"
    write(subs, "ada.json", perfect_answers())
    write(subs, "bob.json", with_slip())
    write(subs, "bob2.json", perfect_answers(), student="bob")
    (subs / "broken.yaml").write_text("answers: [unclosed")
    (subs / "notes.pdf").write_text("not a submission: directories only yield submission files")
    assert main(["grade", str(subs), "--out", str(tmp_path / "out"), "--jobs", "2"]) == 1
    captured = capsys.readouterr()
    assert "graded 3 of 4 submissions" in captured.out
    assert "error: broken.yaml: not valid YAML" in captured.err
    assert "warning: duplicate student id 'bob' (also in bob.json); renamed bob-dup2" in captured.err
    out = tmp_path / "out"
    table = rows(out)
    assert [r["student"] for r in table] == ["ada", "bob", "bob-dup2", "broken"]
    assert list(table[0]) == ["student", *PARTS, "total", "max", "status", "reason"]
    assert [r["status"] for r in table] == ["ok", "ok", "ok", "error"]
    assert table[1]["1.1c"] == "2.6667" and table[0]["total"] == table[0]["max"] == "21.5"
    assert table[3]["reason"].startswith("broken.yaml: not valid YAML")
    for student in ("ada", "bob", "bob-dup2", "broken"):
        assert json.loads((out / "results" / f"{student}.json").read_text())["max_score"] == 21.5
        assert (out / "feedback" / f"{student}.md").read_text().startswith(f"# Feedback: {student}\n")
    summary = (out / "summary.md").read_text()
    assert "4 submissions: 3 graded, 1 could not be graded." in summary and "| `entry-slip` | 1.1c | 1 |" in summary
    first = tree(out)
    assert main(["grade", str(subs), "--out", str(tmp_path / "again"), "--jobs", "1"]) == 1
    assert tree(tmp_path / "again") == first


def test_exit_zero_when_all_graded_and_files_given_one_by_one(tmp_path, capsys):
    a = write(tmp_path, "a.json", perfect_answers())
    b = write(tmp_path, "b.json", {"1.1a": "not even close ((("})  # unreadable answers need review, not errors
    assert main(["grade", str(a), str(b), str(a), "--out", str(tmp_path / "out")]) == 3
    assert [r["student"] for r in rows(tmp_path / "out")] == ["a", "b"]  # a file given twice is graded once


@pytest.mark.parametrize("argv, message", [
    (["grade"], "the following arguments are required"),
    (["grade", "NOWHERE"], "no such file or directory: NOWHERE"),
    (["grade", "EMPTY"], "no submission files"),
    (["grade", "A", "--pdf"], "--pdf needs --out"),
    (["grade", "A", "--jobs", "0"], "expected a positive number"),
    (["grade", "A", "--budget", "nan"], "expected a positive number"),
])
def test_usage_errors_exit_2(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "EMPTY").mkdir()
    write(tmp_path, "A", {})
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_spec_is_one_line(tmp_path, capsys):
    write(tmp_path, "a.json", {})
    (tmp_path / "spec.yaml").write_text("name: [")
    assert main(["grade", str(tmp_path / "a.json"), "--spec", str(tmp_path / "spec.yaml")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_student_text_is_not_rich_markup(tmp_path, capsys):
    write(tmp_path, "m.json", {"1.1a": "[bold red]x[/bold red] \x1b[2J"}, student="m")
    assert main(["grade", str(tmp_path / "m.json")]) == 3  # the answer needs review
    out = capsys.readouterr().out
    assert "[bold red]x[/bold red]" in out and "\x1b[2J" not in out


def test_gradescope_bundle_cli(tmp_path, capsys):
    assert main(["gradescope-bundle", "-o", str(tmp_path / "autograder.zip")]) == 0
    assert (tmp_path / "autograder.zip").stat().st_size > 10_000
    assert main(["gradescope-bundle"]) == 2


# --- reruns: OUT holds exactly this run's results ---------------------------------------------------------------

def test_rerun_removes_stale_results_and_keeps_foreign_files(tmp_path, capsys):
    subs, out = tmp_path / "subs", tmp_path / "out"
    write(subs, "ada.json", perfect_answers())
    write(subs, "bob.json", with_slip())
    assert main(["grade", str(subs), "--out", str(out), "--jobs", "1"]) == 0
    assert (out / "results" / "bob.json").exists()
    (out / "notes.txt").write_text("the teacher's own file")
    (out / "feedback" / "keep.md").write_text("not written by symconv")
    assert main(["grade", str(subs / "ada.json"), "--out", str(out), "--jobs", "1"]) == 0
    assert sorted(p.name for p in (out / "results").iterdir()) == ["ada.json"]
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["ada.md", "keep.md"]
    assert [r["student"] for r in rows(out)] == ["ada"] and (out / "notes.txt").exists()
    assert "bob" not in (out / ".symconv-manifest").read_text()


@pytest.mark.parametrize("line", ["../outside.txt", str(Path("/") / "tmp" / "x.json"), "results/../../outside.txt",
                                  "notes.txt", "results/sub/x.json"])
def test_a_manifest_line_symconv_would_not_write_is_never_deleted(tmp_path, capsys, line):
    write(tmp_path / "subs", "ada.json", perfect_answers())
    out = tmp_path / "box" / "out"
    assert main(["grade", str(tmp_path / "subs"), "--out", str(out)]) == 0
    victim = (out / line) if not line.startswith("/") else tmp_path / "victim.json"
    victim.parent.mkdir(parents=True, exist_ok=True)
    victim.write_text("keep me")
    manifest = out / ".symconv-manifest"
    manifest.write_text(manifest.read_text() + (line if not line.startswith("/") else str(victim)) + "\n")
    assert main(["grade", str(tmp_path / "subs"), "--out", str(out)]) == 0
    assert victim.read_text() == "keep me"


@pytest.mark.parametrize("force", [False, True])
def test_a_non_empty_out_without_manifest_needs_force(tmp_path, capsys, force):
    write(tmp_path / "subs", "ada.json", perfect_answers())
    out = tmp_path / "out"
    write(out / "results", "bob.json", {})  # a folder symconv did not write (no manifest), or an older version did
    code = main(["grade", str(tmp_path / "subs"), "--out", str(out)] + (["--force"] if force else []))
    err = capsys.readouterr().err
    if force:
        assert code == 0 and (out / "results" / "ada.json").exists()
    else:
        assert code == 1 and err.count("\n") == 1 and "is not empty and was not written by symconv" in err
        assert "--force" in err and not (out / "results" / "ada.json").exists()
    assert (out / "results" / "bob.json").exists()  # never symconv's to delete


def test_out_that_is_a_file_is_one_line(tmp_path, capsys):
    write(tmp_path / "subs", "ada.json", {})
    (tmp_path / "out").write_text("a file")
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a folder" in err


# --- exports: folders per student, skipped files ------------------------------------------------------------------

def test_moodle_export_ids_from_folders_and_skipped_files_reported(tmp_path, capsys):
    export = tmp_path / "export"
    write(export / "Ada Lovelace_101_assignsubmission_file_", "answers.json", perfect_answers())
    write(export / "Bob Byte_102_assignsubmission_file_", "answers.json", with_slip(), student="bob")
    (export / "Ada Lovelace_101_assignsubmission_file_" / "scan.pdf").write_bytes(b"%PDF")
    (export / "Cy_103_assignsubmission_onlinetext_").mkdir()
    (export / "Cy_103_assignsubmission_onlinetext_" / "onlinetext.html").write_text("<p>hi</p>")
    assert main(["grade", str(export), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert [r["student"] for r in rows(tmp_path / "out")] == ["Ada_Lovelace_101", "bob"]  # the file's own id wins
    assert ("skipped 2 files: Ada Lovelace_101_assignsubmission_file_/scan.pdf (unsupported type .pdf), "
            "Cy_103_assignsubmission_onlinetext_/onlinetext.html (unsupported type .html)\n") in err


def test_gradescope_bundle_to_a_missing_folder_is_one_line(tmp_path, capsys):
    target = tmp_path / "nonexistent" / "dir" / "a.zip"
    assert main(["gradescope-bundle", "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: cannot write a.zip: no folder") and "Traceback" not in err
    assert not (tmp_path / "nonexistent").exists()


# --- Ctrl-C, SIGTERM, SIGKILL ---------------------------------------------------------------------------------------
# Each run is a subprocess (tests/ is not imported there): HARNESS replaces the grade function by a stand-in that,
# in the phase under test, leaves a marker file and waits for the signal; the test waits for the marker (an event,
# not a delay), signals, and checks the outcome. Timeouts are only guards against a hang.

HARNESS = r"""
import os, signal, sys, time
from pathlib import Path

import grader.batch, grader.grading, grader.outputs
from grader.result import PartResult, Result

mode, markers, argv = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
parent = os.getpid()


def stand_in(spec, submission):
    here = "loading" if os.getpid() == parent else "grading"
    if mode == here or submission["answers"].get("do") == "hang":
        (markers / f"{here}-{os.getpid()}").touch()
        time.sleep(3600)
    return Result(submission["student"], [PartResult(p.id, 1.0, 1.0, "ok") for p in spec.parts])


def slow_histogram(results, spec):
    (markers / f"writing-{os.getpid()}").touch()
    time.sleep(3600)


grader.grading.grade = stand_in
if mode == "writing":
    grader.outputs.histogram_png = slow_histogram
if mode == "no-prctl":
    grader.batch._request_death_signal = lambda: False
if mode.startswith("fork-"):  # fork-N-SIG: the signal lands in the parent right after its N-th fork
    _, n, sig = mode.split("-")
    real_fork, forks = os.fork, []

    def fork():
        pid = real_fork()
        if pid:
            forks.append(pid)
            (markers / "forked").write_text(" ".join(map(str, forks)))
            if len(forks) == int(n):
                os.kill(os.getpid(), getattr(signal, sig))
        return pid

    os.fork = fork

from symconv.cli import main

try:
    code = main(argv)
finally:  # the children still alive when the command is done (before the interpreter's own exit clean-up)
    left = [c for t in Path("/proc/self/task").iterdir() for c in (t / "children").read_text().split()]
    (markers / "left").write_text(" ".join(left))
sys.exit(code)
"""


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _survivors(pids: list[int], guard: float = 60) -> list[int]:
    """The ``pids`` still running after ``guard`` seconds (a killed orphan may take a moment to be re-parented and
    die); they are killed then, so a failing test leaves nothing behind."""
    deadline = time.monotonic() + guard
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    left = [p for p in pids if _alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    return left


class Harness:
    """``symconv grade`` under HARNESS in a subprocess; output goes to files, so no leftover can hold a pipe."""

    def __init__(self, tmp_path: Path, mode: str, argv: list[str]):
        self.markers = tmp_path / "markers"
        self.markers.mkdir()
        (tmp_path / "harness.py").write_text(HARNESS)
        self.err_path = tmp_path / "stderr.txt"
        with open(tmp_path / "stdout.txt", "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen([sys.executable, str(tmp_path / "harness.py"), mode, str(self.markers),
                                          "grade", *argv], stdout=out, stderr=err)

    def wait_for(self, prefix: str, count: int = 1, guard: float = 120) -> list[int]:
        """Pids of the processes that left a ``prefix-<pid>`` marker, once ``count`` have."""
        deadline = time.monotonic() + guard
        while True:
            found = sorted(int(p.name.rpartition("-")[2]) for p in self.markers.glob(f"{prefix}-*"))
            if len(found) >= count:
                return found
            assert self.proc.poll() is None, f"exited {self.proc.returncode} before {prefix}: {self.stderr()}"
            assert time.monotonic() < deadline, f"no {prefix} marker within {guard}s"
            time.sleep(0.01)

    def finish(self, guard: float = 120) -> int:
        try:
            return self.proc.wait(timeout=guard)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    def stderr(self) -> str:
        return self.err_path.read_text()

    def left(self) -> list[int]:
        return [int(p) for p in (self.markers / "left").read_text().split()]


def _submissions(folder: Path, n: int, hang: int | None = None) -> Path:
    for k in range(n):
        write(folder, f"s{k:02d}.json", {"1.1a": "3 x 3", "do": "hang" if k == hang else "ok"})
    return folder


EXIT = {signal.SIGINT: (130, "interrupted"), signal.SIGTERM: (143, "terminated")}
needs_proc = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc to see processes")


@needs_proc
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("phase", ["loading", "grading", "writing"])
def test_a_signal_ends_grade_cleanly_at_any_phase(tmp_path, phase, sig):
    subs, out = _submissions(tmp_path / "subs", 6), tmp_path / "out"
    run = Harness(tmp_path, phase, [str(subs), "--out", str(out), "--jobs", "2"])
    waiting = run.wait_for(phase, 2 if phase == "grading" else 1)
    workers = _children(run.proc.pid)
    run.proc.send_signal(sig)
    code, word = EXIT[sig]
    assert run.finish() == code, run.stderr()
    assert run.stderr().strip().endswith(word) and "Traceback" not in run.stderr()
    assert run.left() == [] and not any(_alive(p) for p in workers + waiting if p != run.proc.pid)
    if phase != "writing":
        assert not out.exists()
        return
    _check_nothing_half_written(out)
    listed = set((out / ".symconv-manifest").read_text().split())
    assert {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - listed == {".symconv-manifest"}
    assert main(["grade", str(subs / "s00.json"), "--out", str(out)]) == 0  # a rerun clears what was left
    assert sorted(p.name for p in (out / "results").iterdir()) == ["s00.json"]


@needs_proc
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("nth", [1, 2, 3])
def test_a_signal_right_after_a_fork_leaves_no_worker(tmp_path, nth, sig):
    """The CI hang: Ctrl-C landing between a worker's fork and its record left a worker no one killed (it held
    the test's pipes open, so the run "hung" after printing "interrupted"). The third fork replaces a worker
    killed for its budget."""
    subs = _submissions(tmp_path / "subs", 4, hang=0 if nth == 3 else None)
    run = Harness(tmp_path, f"fork-{nth}-{sig}", [str(subs), "--jobs", "2", "--budget", "1"])
    code, word = EXIT[getattr(signal, sig)]
    assert run.finish() == code, run.stderr()
    forked = [int(p) for p in (run.markers / "forked").read_text().split()]
    stray = _survivors(forked)
    assert len(forked) == nth and run.left() == [] and stray == [], run.stderr()
    assert run.stderr().strip().endswith(word)


@needs_proc
@pytest.mark.parametrize("mode", ["grading", "no-prctl"])
def test_a_sigkilled_parent_leaves_no_worker(tmp_path, mode):
    subs = _submissions(tmp_path / "subs", 4, hang=0 if mode == "no-prctl" else None)
    run = Harness(tmp_path, mode, [str(subs), "--jobs", "2", "--budget", "3600"])
    workers = run.wait_for("grading", 2 if mode == "grading" else 1)
    workers = sorted(set(workers) | set(_children(run.proc.pid)))
    run.proc.kill()
    assert run.finish() == -signal.SIGKILL
    assert workers and _survivors(workers) == []


def _check_nothing_half_written(out: Path, count: int | None = None) -> None:
    leftovers = [p for p in out.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".")
                 and p.name != ".symconv-manifest"]
    assert leftovers == []
    for p in out.rglob("*.json"):
        json.loads(p.read_text())
    for p in out.rglob("*.md"):
        assert p.read_text().endswith("\n")
    for p in out.rglob("*.pdf"):
        assert p.read_bytes().rstrip().endswith(b"%%EOF")
    if count is not None and (out / "grades.csv").exists():
        assert len(rows(out)) == count


@needs_proc
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_ctrl_c_while_building_pdfs_leaves_no_half_written_file(tmp_path):
    subs = tmp_path / "subs"
    count = 40
    for k in range(count):
        write(subs, f"s{k:03d}.json", perfect_answers() if k % 2 else with_slip())
    out = tmp_path / "out"
    argv = [str(Path(sys.executable).parent / "symconv"), "grade", str(subs), "--out", str(out), "--jobs", "2",
            "--pdf"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not list((out / "feedback").glob("*.pdf")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert err.strip().endswith("interrupted") and "Traceback" not in err
    _check_nothing_half_written(out, count)
    assert len(list((out / "feedback").glob("*.pdf"))) < count and _children(proc.pid) == []


def test_summary_lists_the_files_discovery_skipped(tmp_path, capsys):
    subs = tmp_path / "subs"
    write(subs, "ada.json", perfect_answers())
    (subs / "notes.docx").write_bytes(b"PK\x03\x04 not a submission")
    assert main(["grade", str(subs), "--out", str(tmp_path / "out")]) == 0
    assert "skipped 1 file: notes.docx" in capsys.readouterr().err
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "## Files skipped" in summary and "| notes.docx |" in summary
