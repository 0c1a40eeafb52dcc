"""Hostile input (issue 6): every case ends in a clear error for its part or file, the batch goes on, nothing runs."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader import grade
from grader.batch import grade_batch
from grader.result import ERROR, NEEDS_REVIEW, OK, REVIEW
from grader.submission import MAX_FILE_BYTES, SubmissionError, load_submission
from symconv import load_spec
from symconv.cli import main

SPEC = load_spec(None)
HAS_TEX = shutil.which("pdflatex") is not None and shutil.which("pdftotext") is not None


def run_cli(tmp_path: Path, files: dict[str, str | bytes], *extra: str) -> tuple[int, list[dict], Path]:
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    for name, content in files.items():
        (subs / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    code = main(["grade", str(subs), "--out", str(out), "--jobs", "2", *extra])
    with open(out / "grades.csv", newline="") as f:
        return code, list(csv.DictReader(f)), out


def part(out: Path, student: str, part_id: str) -> dict:
    tests = json.loads((out / "results" / f"{student}.json").read_text())["tests"]
    return next(t for t in tests if t["name"] == part_id)


GOOD = json.dumps({"answers": {"1.1a": "3 x 3"}})


# --- Python code in answers ---------------------------------------------------------------------------------------

def code_answers(marker: Path) -> dict[str, object]:
    touch = f"__import__('os').system('touch {marker}')"
    return {
        "1.1a": touch,
        "1.1b": f"(lambda: {touch})()",
        "1.1c": f"eval(\"{touch}\")",
        "1.1d": {"A_{11}": f"exec('import os; os.system(\"touch {marker}\")')",
                 "A_{12}": "().__class__.__bases__[0].__subclasses__()"},
        "1.1d-matrix": f"[[{touch}]]",
        "1.2a": {"max": "os.system", "avg": "torch.nn.__builtins__", "lp": f"sympy.sympify(\"{touch}\")"},
        "1.2b": {"max": f"open('{marker}', 'w').write('x')", "avg": "getattr(__builtins__, 'eval')('1')",
                 "lp": "x.__class__.__mro__"},
        "1.2c": f"sympy.parse_expr(\"{touch}\")",
        "1.2d": {"avg": f"{touch}", "max": "import os"},
    }


def test_python_code_never_runs(tmp_path):
    marker = tmp_path / "PWNED"
    code, table, out = run_cli(tmp_path, {"eve.json": json.dumps({"answers": code_answers(marker)}), "ok.json": GOOD})
    assert code == 3 and not marker.exists()  # 3: graded, with answers a person must read
    assert [r["status"] for r in table] == [REVIEW, OK] and table[0]["total"] == "0"
    for p in SPEC.parts:
        result = part(out, "eve", p.id)
        assert result["score"] == 0, p.id
    assert "could not read your answer to 1.1a" in part(out, "eve", "1.1a")["output"]
    assert table[1]["1.1a"] == "1"  # the batch went on


# --- resource bombs -------------------------------------------------------------------------------------------------

BOMBS = {
    "power tower": "9^9^9^9",
    "latex tower": "10^{10^{10}}",
    "huge factorial": "(10^{100})!",
    "factorial of a big literal": "99999999999999999999!",
    "deep nesting": "(" * 100_000 + "1" + ")" * 100_000,
    "nesting within the length cap": "(" * 9_000 + "1" + ")" * 9_000,
    "huge matrix as text": r"\begin{bmatrix}" + r"\\".join(["&".join(["1"] * 3000)] * 3000) + r"\end{bmatrix}",
    "51x51 matrix": r"\begin{bmatrix}" + r"\\".join(["&".join(["1"] * 51)] * 51) + r"\end{bmatrix}",
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_resource_bombs_are_part_errors(name):
    answers = {"1.1a": BOMBS[name][:200_000], "1.1b": BOMBS[name], "1.1c": BOMBS[name]}
    if len(BOMBS[name]) > 100_000:  # beyond the loader's cap: the whole file is refused, see below
        answers = {"1.1b": BOMBS[name][:50_000], "1.1c": BOMBS[name][:50_000]}
    result = grade(SPEC, {"student": "eve", "answers": answers})
    for p in result.parts:
        if p.part in answers:
            assert p.score == 0 and p.status == NEEDS_REVIEW, (p.part, p.feedback[:200])
            assert f"\n- could not read your answer to {p.part}" in p.feedback


def test_huge_matrix_as_nested_lists_is_refused(tmp_path):
    big = tmp_path / "big.json"
    row = "[" + ",".join(["1"] * 3000) + "]"
    big.write_text('{"answers": {"1.1c": [' + ",".join([row] * 3000) + "]}}")
    with pytest.raises(SubmissionError, match=r"big.json: file too large \(18,\d{3},\d{3} bytes"):
        load_submission(big)
    medium = tmp_path / "medium.json"  # within the file caps: the grader's matrix cap refuses it, per part
    medium.write_text(json.dumps({"answers": {"1.1c": [[1] * 100] * 100}}))
    result = grade(SPEC, str(medium))
    c = next(p for p in result.parts if p.part == "1.1c")
    assert c.score == 0 and c.status == NEEDS_REVIEW


def test_fifty_megabyte_file_is_refused_by_its_size(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as f:
        f.write(b"answers: {'1.1a': '")
        f.truncate(50 * 2**20)
    with pytest.raises(SubmissionError) as info:
        load_submission(path)
    # the byte count in the message comes from stat(): the file was refused before it was read
    assert str(info.value) == f"huge.yaml: file too large (52,428,800 bytes; limit {MAX_FILE_BYTES:,})"


def slow_sympy_grade(spec, submission):
    """The real grader, except that one answer sends SymPy into a computation that takes far too long."""
    if submission["answers"].get("stall"):
        sympy.factorint(2**4099 - 1)  # a Mersenne-like number: SymPy grinds for minutes
    return grade(spec, submission)


def test_budget_holds_when_sympy_hangs(tmp_path):
    files = []
    for name, answers in [("a", {"1.1a": "3x3"}), ("stuck", {"stall": "yes"}), ("b", {"1.1a": "3x3"})]:
        files.append(tmp_path / f"{name}.json")
        files[-1].write_text(json.dumps({"answers": answers}))
    done = grade_batch(files, SPEC, jobs=1, budget=2.0, grade_fn=slow_sympy_grade)
    assert [g.result.status for g in done] == [OK, ERROR, OK]
    assert done[1].result.error == "stuck.json: timed out after 2s"
    assert done[2].result.parts[0].score == 1


# --- broken files ---------------------------------------------------------------------------------------------------

BILLION_LAUGHS = "\n".join(["a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']"]
                           + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]"
                              for i in range(8)] + ["answers: {'1.1a': *i}"])

BROKEN = {
    "laughs.yaml": (BILLION_LAUGHS, "YAML aliases (*name) are not allowed"),
    "latin1.yaml": ("answers: {'1.1a': 'caf\xe9'}".encode("latin-1"), "not valid UTF-8 (byte 22)"),
    "binary.json": (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "binary file (NUL byte at offset 8)"),
    "empty.toml": ("", "empty file"),
    "list.json": ("[1, 2, 3]", "the top level must be a mapping with 'answers', got a list"),
    "number.yaml": ("42", "the top level must be a mapping with 'answers', got a number"),
    "deep.json": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "deep.yaml": ("answers: {'1.1c': " + "[" * 50_000 + "]" * 50_000 + "}", "nested too deeply"),
    "deep.toml": ("answers = " + "[" * 50_000 + "]" * 50_000, "nested too deeply"),
}


def test_broken_files_are_file_errors_and_the_batch_goes_on(tmp_path, capsys):
    files = {name: content for name, (content, _) in BROKEN.items()}
    code, table, out = run_cli(tmp_path, {**files, "zz-ok.json": GOOD})
    assert code == 1
    by_student = {r["student"]: r for r in table}
    assert len(table) == len(BROKEN) + 1 and by_student["zz-ok"]["status"] == OK
    for name, (_, problem) in BROKEN.items():
        # three files named deep.*: sorted by name, the later two get -dup2 and -dup3
        row = by_student[Path(name).stem + {"deep.toml": "-dup2", "deep.yaml": "-dup3"}.get(name, "")]
        assert row["status"] == ERROR and row["reason"].startswith(f"{name}: ") and problem in row["reason"], row
    assert len(list((out / "results").glob("*.json"))) == len(BROKEN) + 1


def test_alias_free_yaml_still_reads(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("answers:\n  '1.1c':\n    - [1, 2]\n    - [3, 4]\n")
    assert load_submission(path).answers == {"1.1c": [[1, 2], [3, 4]]}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
       suffix=st.sampled_from([".yaml", ".json", ".toml", ".tex"]))
def test_fuzzed_files_load_or_fail_cleanly(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        sub = load_submission(path)
    except SubmissionError as err:
        assert str(err).startswith(f"fuzz{suffix}: ") and "\n" not in str(err)
    else:
        assert isinstance(sub.answers, dict) and sub.student


# --- LaTeX injection ------------------------------------------------------------------------------------------------

INJECTIONS = [r"\input{/etc/passwd}", r"\immediate\write18{touch MARKER}", r"\catcode`\{=12 \def\x{"]


@pytest.mark.skipif(not HAS_TEX, reason="pdflatex/pdftotext are not installed")
def test_latex_injection_is_shown_literally(tmp_path):
    marker = tmp_path / "out" / "feedback" / "MARKER"
    answers = {"1.1a": INJECTIONS[0], "1.1b": INJECTIONS[1].replace("MARKER", str(marker)), "1.1c": INJECTIONS[2]}
    subs = {"evil.json": json.dumps({"student": INJECTIONS[0], "answers": answers})}
    code, table, out = run_cli(tmp_path, subs, "--pdf")
    assert code == 3 and table[0]["student"] == "_input__etc_passwd_"
    tex = (out / "feedback" / "_input__etc_passwd_.tex").read_text()
    for attack in (r"\input", r"\immediate", r"\write18", r"\catcode", r"\def"):
        assert attack not in tex
    pdf_text = subprocess.run(["pdftotext", str(out / "feedback" / "_input__etc_passwd_.pdf"), "-"],
                              capture_output=True, text=True).stdout
    pdf_text = pdf_text.replace("\u2018", "`")  # cmtt's backtick glyph is named quoteleft
    assert r"\input{/etc/passwd}" in pdf_text and r"\immediate\write18{touch" in pdf_text
    assert r"\catcode`\{=12 \def\x{" in pdf_text
    assert "root:" not in pdf_text and not marker.exists() and not list(tmp_path.rglob("MARKER"))
