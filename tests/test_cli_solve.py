"""``symconv solve``, in-process: files written, exit codes, one-line errors, behaviour without TeX."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml

from symconv.cli import main
from symconv.spec import DEFAULT_SPEC

needs_tex = pytest.mark.skipif(shutil.which("latexmk") is None, reason="TeX Live not installed (make tex)")


def spec_file(tmp_path, **changes) -> str:
    data = yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))
    data.update(changes)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def test_tex_only_writes_the_tex_of_the_default_homework(tmp_path, capsys):
    assert main(["solve", "--out", str(tmp_path / "out"), "--tex-only"]) == 0
    tex = tmp_path / "out" / "homework.tex"
    assert tex.exists() and not (tmp_path / "out" / "homework.pdf").exists()
    assert str(tex) in capsys.readouterr().out
    assert len(re.findall(r"^\\frac\{\\partial E\}\{\\partial A_\{\d\d\}\} &=", tex.read_text(), flags=re.M)) == 25


@pytest.mark.parametrize("content, message", [
    (None, "cannot read"),
    ("name: x\nmatrices: [1, 2]\n", "'matrices' has the wrong type"),
    ("{{{", "not valid YAML")])
def test_bad_specs_are_one_line_errors(tmp_path, capsys, content, message):
    path = tmp_path / "bad.yaml"
    if content is not None:
        path.write_text(content)
    assert main(["solve", str(path), "--out", str(tmp_path), "--tex-only"]) == 1
    assert message in one_line_error(capsys)


def test_unknown_task_is_one_line_error(tmp_path, capsys):
    path = spec_file(tmp_path, problems=[{"id": "1", "parts": [{"id": "a", "task": "fourier", "points": 1}]}])
    assert main(["solve", path, "--out", str(tmp_path), "--tex-only"]) == 1
    err = one_line_error(capsys)
    assert "unknown task" in err and "fourier" in err


def test_pdf_and_tex_only_exclude_each_other(tmp_path, capsys):
    assert main(["solve", "--pdf", "--tex-only", "--out", str(tmp_path)]) == 2
    assert "not allowed with" in capsys.readouterr().err


def test_without_tex_the_tex_is_still_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))   # a PATH with no latexmk on it
    assert main(["solve", "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert (tmp_path / "out" / "homework.tex").exists()
    assert "texlive-latex-recommended" in captured.err and "latexmk" in captured.err


def test_without_tex_an_explicit_pdf_fails(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    assert main(["solve", "--pdf", "--out", str(tmp_path / "out")]) == 1
    hint = "apt-get install texlive-latex-recommended texlive-pictures lmodern cm-super latexmk"
    assert hint in one_line_error(capsys)
    assert (tmp_path / "out" / "homework.tex").exists()


@pytest.mark.slow
@needs_tex
def test_solve_writes_tex_and_pdf(tmp_path, capsys):
    assert main(["solve", "--pdf", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "homework.pdf").stat().st_size > 10_000 and "homework.pdf" in out


@pytest.mark.slow
@needs_tex
def test_latex_error_in_spec_text_is_one_line(tmp_path, capsys):
    path = spec_file(tmp_path, name="broken", problems=[
        {"id": "1", "title": "T", "text": r"Broken \undefinedmacro here",
         "parts": [{"id": "a", "task": "output-size", "points": 1}]}])
    assert main(["solve", path, "--out", str(tmp_path / "out")]) == 1
    err = one_line_error(capsys)
    assert "broken.tex" in err and "Undefined control sequence" in err
