"""``symconv grade``: the real grader end to end, in-process; exit codes; reruns; Ctrl-C in a subprocess."""

from __future__ import annotations

import csv
import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from symconv import derive_solution, entry_symbol, latex, load_spec
from symconv.cli import main

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
    (subs / "notes.txt").write_text("not a submission: directories only yield submission files")
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


# --- Ctrl-C ---------------------------------------------------------------------------------------------------------

def _check_nothing_half_written(out: Path, count: int) -> None:
    leftovers = [p for p in out.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".")]
    assert leftovers == []
    for p in out.rglob("*.json"):
        json.loads(p.read_text())
    for p in out.rglob("*.md"):
        assert p.read_text().endswith("\n")
    for p in out.rglob("*.pdf"):
        assert p.read_bytes().rstrip().endswith(b"%%EOF")
    if (out / "grades.csv").exists():
        assert len(rows(out)) == count


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


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc to see the worker processes")
@pytest.mark.parametrize("phase", ["grading", "writing", "pdfs"])
def test_ctrl_c_leaves_no_half_written_file(tmp_path, phase):
    subs = tmp_path / "subs"
    count = 40 if phase == "pdfs" else 400
    for k in range(count):
        write(subs, f"s{k:03d}.json", perfect_answers() if k % 2 else with_slip())
    out = tmp_path / "out"
    argv = [str(Path(sys.executable).parent / "symconv"), "grade", str(subs), "--out", str(out), "--jobs", "2"]
    proc = subprocess.Popen(argv + (["--pdf"] if phase == "pdfs" else []), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120

    def ready() -> bool:
        if phase == "grading":  # the workers are forked once the grader is warm: grading has begun
            return len(_children(proc.pid)) >= 2
        if phase == "writing":
            return (out / "results").exists()
        return bool(list((out / "feedback").glob("*.pdf")))

    while not ready() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    if phase != "writing":  # writing 800 small files may finish before the signal lands
        assert proc.returncode == 130, err
    if proc.returncode == 130:
        assert err.strip().endswith("interrupted") and "Traceback" not in err
    if out.exists():
        _check_nothing_half_written(out, count)
    if phase == "grading":
        assert not out.exists() and workers and not any(_alive(w) for w in workers if w != proc.pid)
    if phase == "pdfs":
        assert len(list((out / "feedback").glob("*.pdf"))) < count
