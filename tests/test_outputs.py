"""grader.outputs: atomic writes, the Gradescope schema, escaped LaTeX, stable CSV/summary/histogram, reruns."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from grader.atomic import OutputError, atomic_write
from grader.batch import Graded, error_result
from grader.feedback import number
from grader.feedback_pdf import build_pdf, escape_tt, feedback_tex
from grader.outputs import (
    MANIFEST,
    feedback_md,
    grades_csv,
    histogram_png,
    results_json,
    summary_md,
    write_outputs,
)
from grader.result import PartResult, Result
from symconv import load_spec

SPEC = load_spec(None)
HAS_TEX = shutil.which("pdflatex") is not None and shutil.which("pdftotext") is not None


def result(student: str, scores: dict[str, float] | None = None, diagnoses: dict[str, list[str]] | None = None,
           feedback: str = "fine") -> Result:
    scores, diagnoses = scores or {}, diagnoses or {}
    parts = [PartResult(p.id, scores.get(p.id, float(p.points)), float(p.points), f"{p.id}: {feedback}",
                        diagnoses.get(p.id, []), expected_latex=r"\frac{1}{2}" if p.id == "1.1c" else "")
             for p in SPEC.parts]
    return Result(student, parts, execution_time=0.123)


CLASS = [
    Graded("b.yaml", result("bob", {"1.1c": 1.0, "1.2c": 1.5}, {"1.1c": ["flipped-kernel"], "1.2c": ["entry-slip"]})),
    Graded("a.yaml", result("ada")),
    Graded("c.yaml", result("cy", {"1.1c": 0.0}, {"1.1c": ["flipped-kernel"]})),
    Graded("d.json", error_result(SPEC, "dee", "d.json", "d.json: empty file")),
    Graded("e.json", result("ada-dup2"), "duplicate student id 'ada' (also in a.yaml); renamed ada-dup2"),
]


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_atomic_write_replaces_whole_files(tmp_path):
    target = tmp_path / "x.json"
    atomic_write(target, "old")
    atomic_write(target, b"new")
    assert target.read_text() == "new" and os.listdir(target.parent) == ["x.json"]


class _Interrupting:
    """A file whose write sends this process SIGINT halfway through the data."""

    def __init__(self, f):
        self.f = f

    def write(self, data):
        self.f.write(data[:len(data) // 2])
        os.kill(os.getpid(), signal.SIGINT)
        self.f.write(data[len(data) // 2:])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


@pytest.mark.parametrize("step", ["mkstemp", "write", "chmod", "replace"])
def test_ctrl_c_inside_atomic_write_is_held_until_the_file_is_whole(tmp_path, monkeypatch, step):
    """SIGINT sent from inside each step of the write. Held (the deferral), it is raised once the whole file is in
    place; without the deferral it cuts the write short, and right after mkstemp's open it strands the temporary."""
    target, data = tmp_path / "x.json", "x" * 100_000
    real_open, real_chmod, real_replace, real_fdopen = os.open, os.chmod, os.replace, os.fdopen

    def interrupt():
        os.kill(os.getpid(), signal.SIGINT)

    def opened(path, flags, mode=0o777, *, dir_fd=None):
        fd = real_open(path, flags, mode, dir_fd=dir_fd)
        if str(path).endswith(".tmp"):
            interrupt()
        return fd

    patches = {"mkstemp": (os, "open", opened),
               "write": (os, "fdopen", lambda fd, mode: _Interrupting(real_fdopen(fd, mode))),
               "chmod": (os, "chmod", lambda path, mode: (real_chmod(path, mode), interrupt())),
               "replace": (os, "replace", lambda src, dst: (real_replace(src, dst), interrupt()))}
    monkeypatch.setattr(*patches[step])
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, data)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["x.json"] and target.read_text() == data


def test_atomic_write_creates_no_folder(tmp_path):
    with pytest.raises(OutputError, match="cannot write a.zip: no folder .*nonexistent"):
        atomic_write(tmp_path / "nonexistent" / "dir" / "a.zip", b"zip")
    assert os.listdir(tmp_path) == []


def test_atomic_write_interrupted_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "x.json"
    atomic_write(target, "old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, "new")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["x.json"]


@pytest.mark.parametrize("x, text", [(0.0, "0"), (1.0, "1"), (1.5, "1.5"), (2 / 3, "0.6667"), (21.5, "21.5"),
                                     (1e-12, "0"), (-0.0, "0")])
def test_number(x, text):
    assert number(x) == text


def test_results_json_is_gradescope_schema_without_timing():
    data = json.loads(results_json(CLASS[0].result))
    assert set(data) == {"score", "max_score", "output", "output_format", "tests", "visibility",
                         "stdout_visibility"}
    assert data["score"] == CLASS[0].result.score and data["max_score"] == 21.5
    assert [t["name"] for t in data["tests"]] == [p.id for p in SPEC.parts]
    assert all(set(t) == {"name", "number", "score", "max_score", "output", "output_format", "visibility", "tags"}
               for t in data["tests"])
    assert data["tests"][2]["tags"] == ["flipped-kernel"]
    assert results_json(CLASS[0].result) == results_json(CLASS[0].result)


def test_feedback_md_fences_cannot_be_closed_by_the_student():
    text = feedback_md(result("eve", feedback="```\n# injected heading\n````"))
    assert "\n`````text\n1.1a: ```\n# injected heading\n````\n`````\n" in text
    assert feedback_md(CLASS[4].result, CLASS[4].note).count("Note: duplicate student id 'ada'") == 1


@pytest.mark.parametrize("raw, tex", [
    ("plain 1+2", r"plain\ 1+2"),
    ("\\input{/etc/passwd}", r"{\char92}input{\char123}/etc/passwd{\char125}"),
    ("$x$ & # % _ ^ ~", r"{\char36}x{\char36}\ {\char38}\ {\char35}\ {\char37}\ {\char95}\ {\char94}\ {\char126}"),
    ("3×3 ∂E₁₂", r"3$\times$3\ $\partial$E$_{1}$$_{2}$"),  # the grader's Unicode maths, typeset
    ("é\x1b[31m", "<U+00E9>[31m"),
])
def test_escape_tt(raw, tex):
    assert escape_tt(raw) == tex


def test_grades_csv_one_row_per_submission_sorted():
    rows = list(csv.reader(io.StringIO(grades_csv(CLASS, SPEC))))
    assert rows[0] == ["student", *[p.id for p in SPEC.parts], "total", "max", "status", "reason"]
    assert [r[0] for r in rows[1:]] == ["ada", "ada-dup2", "bob", "cy", "dee"]
    bob = dict(zip(rows[0], rows[3]))
    assert (bob["1.1c"], bob["1.2c"], bob["total"], bob["max"], bob["status"]) == ("1", "1.5", "19", "21.5", "ok")
    assert rows[5][-2:] == ["error", "d.json: empty file"] and rows[2][-1].startswith("duplicate student id")


def test_summary_counts_means_and_mistakes():
    text = summary_md(CLASS, SPEC)
    assert "5 submissions: 4 graded, 1 could not be graded." in text
    assert "| 1.1c | convolution | 1.4 | 3 | 2/5 |" in text       # (3 + 1 + 0 + 0 + 3) / 5
    assert "| `flipped-kernel` | 1.1c | 2 |" in text and "| `entry-slip` | 1.2c | 1 |" in text
    assert text.index("flipped-kernel") < text.index("entry-slip")
    assert "| dee | d.json: empty file |" in text and "renamed ada-dup2" in text
    assert "![Score histogram](histogram.png)" in text


def test_summary_keeps_notes_that_cost_nothing_apart_from_mistakes():
    """chain-rule-not-shown costs 0 in the homework's rubric: a note for the student, not a class mistake."""
    graded = [Graded("f.yaml", result("fay", diagnoses={"1.1d": ["chain-rule-not-shown"], "1.1c": ["transposed"]}))]
    text = summary_md(graded, SPEC)
    mistakes, notes = text.split("## Notes that cost no points")
    assert "| `transposed` | 1.1c | 1 |" in mistakes and "chain-rule-not-shown" not in mistakes
    assert "| `chain-rule-not-shown` | 1.1d | 1 |" in notes.split("##")[0]
    assert "## Notes that cost no points" not in summary_md(CLASS, SPEC)


def test_summary_lists_the_skipped_files_with_their_reasons():
    text = summary_md(CLASS, SPEC, [("ada/notes.docx", "not a submission format"), ("|x|.pdf", "too big")])
    assert "## Files skipped" in text and "| ada/notes.docx | not a submission format |" in text
    assert "| \\|x\\|.pdf | too big |" in text  # Markdown-escaped
    assert "## Files skipped" not in summary_md(CLASS, SPEC)


def test_histogram_is_a_deterministic_png():
    png = histogram_png([g.result for g in CLASS], SPEC)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png == histogram_png([g.result for g in CLASS], SPEC)
    assert b"tIME" not in png  # no timestamp chunk


def test_write_outputs_tree_and_rerun_is_byte_identical(tmp_path):
    write_outputs(CLASS, SPEC, tmp_path / "a")
    write_outputs(CLASS, SPEC, tmp_path / "b")
    first = tree(tmp_path / "a")
    assert first == tree(tmp_path / "b")
    write_outputs(CLASS, SPEC, tmp_path / "a")  # a rerun into the same folder
    assert tree(tmp_path / "a") == first
    students = ["ada", "ada-dup2", "bob", "cy", "dee"]
    written = [f"results/{s}.json" for s in students] + [f"feedback/{s}.md" for s in students] + [
        "grades.csv", "summary.md", "histogram.png"]
    assert sorted(first) == sorted([*written, MANIFEST])
    assert (tmp_path / "a" / MANIFEST).read_text().splitlines() == sorted(written)
    assert not [p for p in (tmp_path / "a").rglob("*") if p.name.endswith(".tmp")]


def test_write_outputs_refuses_colliding_names(tmp_path):
    with pytest.raises(OutputError, match="both be written as 'a_b'"):
        write_outputs([Graded("x", result("a b")), Graded("y", result("a/b"))], SPEC, tmp_path)


@pytest.mark.skipif(not HAS_TEX, reason="pdflatex/pdftotext are not installed")
def test_feedback_pdf_is_reproducible_and_shows_text_literally(tmp_path):
    hostile = result(r"\input{/etc/passwd}", feedback="could not read \\catcode`\\{=12 $x^2$ & 100% ~ #")
    assert build_pdf(feedback_tex(hostile), tmp_path / "one") == ""
    assert build_pdf(feedback_tex(hostile), tmp_path / "two") == ""
    assert (tmp_path / "one.pdf").read_bytes() == (tmp_path / "two.pdf").read_bytes()
    text = subprocess.run(["pdftotext", "one.pdf", "-"], cwd=tmp_path, capture_output=True, text=True).stdout
    text = text.replace("\u2018", "`").replace("\u2019", "'")  # cmtt's ` and ' glyphs are named quoteleft/right
    assert "\\input{/etc/passwd}" in text and "root:" not in text
    assert "could not read \\catcode`\\{=12 $x^2$ & 100% ~ #" in text
    assert "Expected:" in text  # the printer's expected_latex, typeset as math:
    source = (tmp_path / "one.tex").read_text()
    assert r"Expected:\par" in source and r"\[\frac{1}{2}\]" in source


def test_an_interrupt_kills_the_pdflatex_runs_under_way(tmp_path, monkeypatch):
    """Ctrl-C while feedback PDFs build: the pdflatex runs under way are killed, not waited for (a stand-in
    pdflatex that would finish after 20 s leaves a marker only if nobody killed it)."""
    import threading

    from grader import feedback_pdf
    from grader.batch import Graded
    from grader.result import PartResult, Result

    bin_dir, started, finished = tmp_path / "bin", tmp_path / "started", tmp_path / "finished"
    bin_dir.mkdir()
    fake = bin_dir / "pdflatex"
    fake.write_text(f"#!/bin/sh\necho $$ >> {started}\nsleep 20\ntouch {finished}\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    graded = [Graded(f"s{k}.json", Result(f"s{k}", [PartResult("1.1a", 1.0, 1.0, "Correct.")])) for k in range(4)]
    (tmp_path / "feedback").mkdir()

    def interrupt_once_started() -> None:
        for _ in range(6000):  # a bounded wait for the first run to start
            if started.exists():
                break
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)  # a real signal: it wakes the main thread's wait

    threading.Thread(target=interrupt_once_started, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        feedback_pdf.build_pdfs(graded, tmp_path / "feedback", jobs=2)
    pids = [int(p) for p in started.read_text().split()]
    for _ in range(3000):  # the killed runs disappear (bounded wait; zombies were reaped by Popen)
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            break
        time.sleep(0.01)
    assert not finished.exists() and not any(Path(f"/proc/{pid}").exists() for pid in pids)
    assert list((tmp_path / "feedback").glob("*.pdf")) == []


@pytest.mark.skipif(not HAS_TEX, reason="pdflatex is not installed")
def test_feedback_pdf_sets_long_expected_answers_within_the_page(tmp_path):
    """The 25 expected chain-rule lines of 1.1d: one aligned display that breaks across pages and rows, not one
    overlapping line; the log shows no overfull box."""
    from grader.grading import grade

    graded = grade(None, "examples/submissions/chain-mistakes.json")
    tex = feedback_tex(graded)
    assert r"\begin{align*}" in tex and r"\allowdisplaybreaks" in tex
    (tmp_path / "f.tex").write_text(tex)
    run = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "f.tex"],
                         cwd=tmp_path, capture_output=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:]
    log = (tmp_path / "f.log").read_text(errors="replace")
    assert "Overfull" not in log, [line for line in log.splitlines() if "Overfull" in line]
