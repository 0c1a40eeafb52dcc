"""``symconv handout``: the problems of every template spec without their solutions. Stated: the title block, the
inputs, each part's text, points and answer space; absent: every solution label, derived answer and verification
note. Compiled once per spec (and a hostile-titled spec) with the page checks of tests/test_document_checks.py: no
bad box, no word outside the page or in its margins."""

from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from pylatex import NoEscape
from pylatex.utils import escape_latex
from test_document_checks import CANVAS, MARGIN, SLACK, words

from symconv import derive_solution, load_spec
from symconv.cli import main
from symconv.document import build_document, compile_pdf, write_tex
from symconv.document.compile import box_warnings
from symconv.document.equations import printer
from symconv.latex import latex
from symconv.spec import DEFAULT_SPEC, TEMPLATES, Spec
from symconv.tasks import task
from symconv.tasks._layers import labelled

SPECS = sorted(TEMPLATES.glob("*.yaml"))
HOSTILE = "#$%&_{}\\ ~^ <> \\input{/etc/passwd}"
needs_tex = pytest.mark.skipif(any(shutil.which(tool) is None for tool in ("latexmk", "pdftotext")),
                               reason="TeX Live / poppler-utils not installed (make tex installs them)")


def hostile_spec() -> dict[str, Any]:
    data = yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))
    data.update(name="hostile", course=HOSTILE, assignment=HOSTILE, date=HOSTILE)
    data["problems"][0]["title"] = HOSTILE
    return data


def handout_tex(spec: Spec) -> str:
    """The handout's body (after the preamble, which defines the solution macros it does not use)."""
    tex = build_document(derive_solution(spec), handout=True).dumps()
    return tex[tex.index(r"\begin{document}"):]


def derived(spec: Spec) -> list[str]:
    """The engine's matrix answers to the spec's parts, printed (those equal to an input are stated, not derived)."""
    sol = derive_solution(spec)
    refs = [task(p.task).reference(sol) for p in spec.parts if task(p.task).reference is not None]
    return [latex(r) for r in refs if not any(r.shape == m.shape and r == m for m in spec.matrices.values())]


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_the_handout_states_every_part_and_its_inputs(path):
    spec = load_spec(path)
    tex = handout_tex(spec)
    assert tex.count(r"\answerspace") == len(spec.parts)
    for part in spec.parts:
        assert rf"\partheading{{Part {escape_latex(part.id)}}}" in tex
        assert spec.fill(part.text) in tex
    names = printer(derive_solution(spec), {}) if spec.convolution is not None else {}   # x_{1} ... when flat
    for name, matrix in spec.matrices.items():
        assert f"{latex(matrix, **names)}" in tex, name
    operands = spec.layers.operands if spec.layers is not None else {}   # channels, filters, biases
    for name, value in operands.items():
        for label, matrix in labelled(name, value).items():
            assert f"{latex(matrix)}" in tex, label
    assert ("The inputs:" in tex) == bool(spec.matrices or operands)
    assert "{\\large Problems}" in tex


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_the_handout_holds_no_solution(path):
    spec = load_spec(path)
    tex = handout_tex(spec)
    assert r"\solutionlabel" not in tex and "Solutions" not in tex and "checked numerically" not in tex
    assert re.search(r"\\frac\{\\partial E\}\{\\partial [A-Za-z]+_\{\d+\}\} &=", tex) is None   # no chain rule
    assert [ref for ref in derived(spec) if ref in tex] == []


def test_the_inputs_are_stated_exactly_whatever_the_documents_number_format():
    data = yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))
    data["matrices"]["A"][0][0] = 0.25
    data["document"] = {"numbers": "decimals", "digits": 1}
    tex = handout_tex(load_spec(data))
    assert r"A = \begin{bmatrix}0.25 & 5 & 2 & 2 & 1\\" in tex


def test_a_solution_document_is_not_a_handout():
    """The checks above can fail: the same spec's solutions hold what a handout must not."""
    spec = load_spec(None)
    tex = build_document(derive_solution(spec)).dumps()
    tex = tex[tex.index(r"\begin{document}"):]
    assert r"\solutionlabel" in tex and "The inputs:" not in tex and tex.count(r"\answerspace") == 0
    assert all(ref in tex for ref in derived(spec))


# --- compiled: one latexmk run per spec, two at a time ------------------------------------------------------------

COMPILED = [*SPECS, "hostile"]


def _compile(source: Path | str, out: Path) -> Path:
    spec = load_spec(hostile_spec() if source == "hostile" else source)
    doc = build_document(derive_solution(spec), handout=True)
    doc.preamble.append(NoEscape(CANVAS))
    return compile_pdf(write_tex(doc, out, f"{spec.name}-handout"), timeout=300)


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[Path | str, Path]:
    out = tmp_path_factory.mktemp("handouts")
    with ThreadPoolExecutor(max_workers=2) as pool:   # two cores are shared; latexmk runs are the cost
        return dict(zip(COMPILED, pool.map(lambda source: _compile(source, out), COMPILED)))


def source_id(source: Path | str) -> str:
    return source if isinstance(source, str) else source.stem


@pytest.mark.slow
@needs_tex
@pytest.mark.parametrize("source", COMPILED, ids=source_id)
def test_the_handout_compiles_within_the_page(pdfs, source):
    pdf = pdfs[source]
    assert box_warnings(pdf.with_suffix(".log").read_text(errors="replace")) == []
    (width, height), found = words(pdf)
    assert found
    assert [w for w in found if w[1] < 0 or w[2] < 0 or w[3] > width or w[4] > height] == []
    assert [w for w in found if w[1] < MARGIN - SLACK or w[3] > width - MARGIN + SLACK] == []
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True,
                          timeout=60).stdout
    assert "Problems" in text and "Solution" not in text


# --- the command ---------------------------------------------------------------------------------------------------

def test_cli_writes_the_handout_tex(tmp_path, capsys):
    assert main(["handout", str(TEMPLATES / "maxpool7.yaml"), "--out", str(tmp_path), "--tex-only"]) == 0
    tex = tmp_path / "maxpool7-handout.tex"
    assert tex.exists() and not tex.with_suffix(".pdf").exists() and str(tex) in capsys.readouterr().out
    body = tex.read_text().split(r"\begin{document}")[1]
    assert body.count(r"\answerspace") == len(load_spec(TEMPLATES / "maxpool7.yaml").parts)


def test_cli_without_tex(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("symconv.cli.solve.tex_available", lambda: False)
    assert main(["handout", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "homework-handout.tex").exists() and "note: no PDF" in capsys.readouterr().err
    assert main(["handout", "--out", str(tmp_path), "--pdf"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "latexmk and pdflatex were not found" in err


@pytest.mark.parametrize("args, code, message", [
    (["handout", "no-such-spec.yaml"], 1, "no-such-spec.yaml"),
    (["handout", "--pdf", "--tex-only"], 2, "not allowed with"),
])
def test_cli_errors_are_one_line(capsys, args, code, message):
    assert main(args) == code
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err
