"""``symconv variant``, ``symconv solve --student`` and ``symconv handouts``, in-process: the files written, the
manifest, one student's failure not stopping the others, exit codes, one-line errors, the secret in no output."""

from __future__ import annotations

import csv
import shutil

import pytest
import yaml

from symconv.cli import main
from symconv.latex import latex
from symconv.solution import derive_solution
from symconv.spec import TEMPLATES
from symconv.variants import fingerprint, variant_spec

HOMEWORK = str(TEMPLATES / "homework-variants.yaml")
SECRET = "xyzzy-course-secret-2026"
needs_tex = pytest.mark.skipif(shutil.which("latexmk") is None, reason="TeX Live not installed (make tex)")


@pytest.fixture
def course(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    roster = tmp_path / "roster.csv"
    roster.write_text("First Name,Last Name,SID,Email\nAda,Lovelace,s001,ada@uni.edu\n"
                      "Grace,Hopper,s002,grace@uni.edu\n")
    return tmp_path, str(secret), str(roster)


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def no_secret_in(folder) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_variant_shows_the_drawn_inputs_and_fingerprint(course, capsys):
    tmp, secret, _ = course
    assert main(["variant", HOMEWORK, "--student", "s001", "--secret", secret]) == 0
    out = capsys.readouterr().out
    shown = yaml.safe_load(out)
    spec = variant_spec(HOMEWORK, "s001", SECRET)
    assert shown["student"] == "s001" and shown["fingerprint"] == fingerprint(spec)
    assert shown["matrices"]["A"] == [[int(v) for v in spec.matrices["A"].row(i)] for i in range(5)]
    assert SECRET not in out
    assert main(["variant", HOMEWORK, "--student", "s001", "--secret", secret]) == 0
    assert capsys.readouterr().out == out                      # the same student, the same variant


@pytest.mark.parametrize("argv, code, message", [
    (["variant", HOMEWORK, "--student", "s1"], 2, "--secret"),
    (["variant", HOMEWORK, "--student", "s1", "--secret", "{tmp}/missing"], 1, "cannot read the course secret"),
    (["solve", HOMEWORK, "--student", "s1", "--tex-only"], 2, "--student and --secret go together"),
    (["handouts", HOMEWORK, "--roster", "{roster}", "--secret", "{secret}", "--jobs", "0"], 2, "--jobs must be"),
    (["handouts", HOMEWORK, "--roster", "{tmp}/none.csv", "--secret", "{secret}"], 1, "cannot read the roster"),
    (["handouts", HOMEWORK, "--roster", "{roster}", "--secret", "{secret}", "--id-column", "Student Number"], 1,
     "no column 'Student Number'")])
def test_usage_and_input_errors_are_one_line(course, capsys, argv, code, message):
    tmp, secret, roster = course
    argv = [a.format(tmp=tmp, secret=secret, roster=roster) for a in argv]
    assert main(argv) == code
    assert message in one_line_error(capsys)


def test_a_world_readable_secret_is_refused(course, capsys):
    tmp, secret, _ = course
    (tmp / "secret").chmod(0o644)
    assert main(["variant", HOMEWORK, "--student", "s001", "--secret", secret]) == 1
    err = one_line_error(capsys)
    assert "chmod 600" in err and SECRET not in err


def test_solve_for_a_student_typesets_their_variant(course, capsys):
    tmp, secret, _ = course
    out = tmp / "out"
    assert main(["solve", HOMEWORK, "--student", "s002", "--secret", secret, "--out", str(out), "--tex-only"]) == 0
    tex = (out / "homework-variants-s002.tex").read_text()
    output = derive_solution(variant_spec(HOMEWORK, "s002", SECRET)).output        # that student's C = A * B
    assert f"C = {latex(output)}" in tex and f"C = {latex(derive_solution(HOMEWORK).output)}" not in tex
    assert main(["solve", HOMEWORK, "--out", str(out), "--tex-only"]) == 0     # without: the default problem
    assert (out / "homework-variants.tex").exists()
    no_secret_in(out)


def test_handouts_tex_only(course, capsys):
    tmp, secret, roster = course
    out = tmp / "handouts"
    assert main(["handouts", HOMEWORK, "--roster", roster, "--secret", secret, "--out", str(out), "--tex-only"]) == 0
    captured = capsys.readouterr()
    assert "handouts: 2/2 built" in captured.err and "wrote 2 of 2 handouts" in captured.out
    rows = list(csv.DictReader((out / "manifest.csv").open()))
    assert [r["student"] for r in rows] == ["s001", "s002"] and all(r["status"] == "ok" for r in rows)
    for r in rows:
        assert r["fingerprint"] == fingerprint(variant_spec(HOMEWORK, r["student"], SECRET))
        sheet = (out / r["answer_sheet"]).read_text()
        assert f"\\student{{{r['student']}}}" in sheet and r["fingerprint"] in sheet
        assert "Lovelace" in (out / r["handout"]).read_text() or r["student"] != "s001"
    assert rows[0]["fingerprint"] != rows[1]["fingerprint"]
    no_secret_in(out)


def test_one_students_failure_does_not_stop_the_others(course, capsys):
    tmp, secret, _ = course
    roster = tmp / "odd.csv"
    roster.write_text("id,name\ns001,Ada\nbad{id,Mallory\ns002,Grace\n")
    out = tmp / "handouts"
    assert main(["handouts", HOMEWORK, "--roster", str(roster), "--secret", secret, "--out", str(out),
                 "--tex-only"]) == 1
    captured = capsys.readouterr()
    assert "error: bad{id: student id 'bad{id' cannot be written in \\student{}" in captured.err
    rows = {r["student"]: r for r in csv.DictReader((out / "manifest.csv").open())}
    assert rows["s001"]["status"] == rows["s002"]["status"] == "ok"
    assert "cannot be written" in rows["bad{id"]["status"] and not rows["bad{id"]["handout"]
    assert (out / "s002" / "answer-sheet.tex").exists()


def test_ids_sharing_a_folder_are_refused(course, capsys):
    tmp, secret, _ = course
    roster = tmp / "clash.csv"
    roster.write_text("id\na/b\na b\n")
    assert main(["handouts", HOMEWORK, "--roster", str(roster), "--secret", secret, "--out", str(tmp / "o"),
                 "--tex-only"]) == 1
    assert "both make the folder a-b" in one_line_error(capsys)


def test_manifest_cells_are_not_formulas(course, capsys):
    tmp, secret, _ = course
    roster = tmp / "evil.csv"
    roster.write_text('id,name,email\ns001,"=HYPERLINK(""http://x"")",@evil\n')
    assert main(["handouts", HOMEWORK, "--roster", str(roster), "--secret", secret, "--out", str(tmp / "o"),
                 "--tex-only"]) == 0
    row = next(csv.DictReader((tmp / "o" / "manifest.csv").open()))
    assert row["name"].startswith("'=") and row["email"] == "'@evil"


def test_without_tex_the_tex_is_written_and_pdf_fails(course, capsys, monkeypatch):
    tmp, secret, roster = course
    monkeypatch.setattr("symconv.cli.handouts.tex_available", lambda: False)
    assert main(["handouts", HOMEWORK, "--roster", roster, "--secret", secret, "--out", str(tmp / "a")]) == 0
    assert "no PDFs" in capsys.readouterr().err and (tmp / "a" / "s001" / "answer-sheet.tex").exists()
    assert main(["handouts", HOMEWORK, "--roster", roster, "--secret", secret, "--out", str(tmp / "b"),
                 "--pdf"]) == 1
    assert "latexmk and pdflatex were not found" in one_line_error(capsys)


@pytest.mark.slow
@needs_tex
def test_handouts_pdfs_in_parallel(course, capsys):
    tmp, secret, roster = course
    out = tmp / "handouts"
    assert main(["handouts", HOMEWORK, "--roster", roster, "--secret", secret, "--out", str(out), "--jobs", "2",
                 "--pdf"]) == 0
    rows = list(csv.DictReader((out / "manifest.csv").open()))
    assert all(r["handout"].endswith(".pdf") and (out / r["handout"]).stat().st_size > 10_000 for r in rows)
    no_secret_in(out)


@pytest.mark.slow
@needs_tex
def test_a_failed_pdf_is_reported_and_the_others_built(course, capsys, monkeypatch):
    """A TeX failure (one student's latexmk killed by its timeout) fails that student only."""
    import symconv.cli.handouts as handouts
    from symconv.document.compile import LatexError

    real = handouts.compile_pdf

    def compile_pdf(tex, timeout):
        if "s001" in str(tex):
            raise LatexError(f"{tex}: latexmk timed out after {timeout:g} s")
        return real(tex, timeout)

    monkeypatch.setattr(handouts, "compile_pdf", compile_pdf)
    tmp, secret, roster = course
    out = tmp / "handouts"
    assert main(["handouts", HOMEWORK, "--roster", roster, "--secret", secret, "--out", str(out)]) == 1
    rows = {r["student"]: r for r in csv.DictReader((out / "manifest.csv").open())}
    assert "timed out" in rows["s001"]["status"] and rows["s002"]["handout"].endswith(".pdf")
    assert "error: s001:" in capsys.readouterr().err
