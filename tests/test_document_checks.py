"""Typesetting checks on real PDFs: every spec in templates/, as shipped (``detail: full``) and with a symbolic
upstream, plus a summary with decimals: no overfull box over 1 pt and no underfull box (.log), no Type 3 (bitmap)
font (pdffonts), no word outside the page or in its margins (pdftotext -bbox).

pdftotext drops whatever lies outside the page, so the checks compile onto a canvas three pages wide and high with
the page in its middle (same layout: only the PDF's media box and origin move) and read the words' boxes against
the real page. Each variant compiles once (a module fixture, two at a time); the checks share the results.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sympy
import yaml
from pylatex import NoEscape

from symconv import derive_solution, load_spec
from symconv.document import build_document, compile_pdf, write_tex
from symconv.document.compile import box_warnings
from symconv.spec import TEMPLATES, upstream_text

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("latexmk", "pdffonts", "pdftotext")),
    reason="TeX Live / poppler-utils not installed (make tex installs them)")]

SPECS = sorted(TEMPLATES.glob("*.yaml"))
MARGIN = 2.4 / 2.54 * 72     # pt: the geometry's margin (templates/preamble.tex)
SLACK = 6.0                  # pt a glyph may reach into the margin (italic overhang, equation numbers' parens)
CANVAS = (r"\AtBeginDocument{\pdfpagewidth=3\paperwidth \pdfpageheight=3\paperheight "
          r"\pdfhorigin=\dimexpr\paperwidth+1truein\relax \pdfvorigin=\dimexpr\paperheight+1truein\relax}")
VARIANTS = {
    "full": {"document": {"detail": "full"}},
    "symbolic": {"document": {"detail": "full"}, "convolution": {"upstream": "symbolic"}},
    "summary-decimals": {"document": {"detail": "summary", "numbers": "decimals", "digits": 2,
                                      "verification": "hide"}},
}
CASES = [(spec, variant) for spec in SPECS for variant in ("full", "symbolic")
         if variant == "full" or "convolution" in yaml.safe_load(spec.read_text(encoding="utf-8"))] + [
    (TEMPLATES / "maxpool7.yaml", "summary-decimals")]


def variant_spec(path: Path, variant: str) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, changes in VARIANTS[variant].items():
        data[key] = {**data.get(key, {}), **changes}
    data["name"] = f"{data['name']}-{variant}"
    return data


def build(case: tuple[Path, str], out: Path) -> Path:
    data = variant_spec(*case)
    doc = build_document(derive_solution(load_spec(data)))
    doc.preamble.append(NoEscape(CANVAS))
    return compile_pdf(write_tex(doc, out, data["name"]), timeout=300)


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[tuple[Path, str], Path]:
    out = tmp_path_factory.mktemp("checks")
    with ThreadPoolExecutor(max_workers=2) as pool:   # two cores are shared; latexmk runs are the cost
        built = dict(zip(CASES, pool.map(lambda case: build(case, out), CASES)))
    return built


def case_id(case: tuple[Path, str]) -> str:
    return f"{case[0].stem}-{case[1]}"


def words(pdf: Path) -> tuple[tuple[float, float], list[tuple[str, float, float, float, float]]]:
    """The page size and every word with its box, relative to the page in the middle of the canvas."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True,
                          timeout=120).stdout
    size = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', html)
    assert size is not None
    width, height = float(size.group(1)) / 3, float(size.group(2)) / 3
    found = [(w, float(a) - width, float(b) - height, float(c) - width, float(d) - height)
             for a, b, c, d, w in re.findall(
                 r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">([^<]*)</word>', html)]
    return (width, height), found


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_no_bad_boxes(pdfs, case):
    pdf = pdfs[case]
    assert box_warnings(pdf.with_suffix(".log").read_text(errors="replace")) == []


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_no_type3_fonts(pdfs, case):
    fonts = subprocess.run(["pdffonts", str(pdfs[case])], capture_output=True, text=True, check=True,
                           timeout=60).stdout
    assert "Type 3" not in fonts and "Type 1" in fonts


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_no_text_outside_the_page(pdfs, case):
    (width, height), found = words(pdfs[case])
    assert found
    outside = [w for w in found if w[1] < 0 or w[2] < 0 or w[3] > width or w[4] > height]
    assert outside == []
    in_margin = [w for w in found if w[1] < MARGIN - SLACK or w[3] > width - MARGIN + SLACK]
    assert in_margin == []


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_symbolic_prose_and_results_are_stated_once(pdfs, case):
    tex = pdfs[case].with_suffix(".tex").read_text()
    spec = load_spec(variant_spec(*case))
    c = spec.convolution
    out = "l" if c and c.index == "flat" else "uv"   # a flat-indexed problem's outputs are y_l
    upstream = (rf"\partial {c.loss}/\partial {c.output}_{{{out}}} = {upstream_text(c).replace('_{uv}', f'_{{{out}}}')}"
                if c else "(no convolution)")
    chain = any(p.task == "input-gradient" for p in spec.parts)
    assert (upstream in tex) == chain   # stated where the chain rule uses it, and only there
    for row in re.findall(r"^.*&=.*$", tex, flags=re.M):   # no derivation row says X = X
        pieces = [p.strip().removesuffix(r"\notag").strip() for p in row.split("&=")[-1].split(" = ")]
        assert all(a != b for a, b in zip(pieces, pieces[1:])), row


def test_page_checks_can_fail(tmp_path):
    """The checks catch what they look for: a line too wide, a word in the margin and a word off the page."""
    tex = tmp_path / "wide.tex"
    tex.write_text(r"\documentclass{article}\usepackage[a4paper, margin=2.4cm]{geometry}" + CANVAS +
                   r"\begin{document}\noindent\hbox to 1.1\textwidth{x\hfil margin}\par"
                   r"\noindent\hbox to 1.8\textwidth{x\hfil off}\end{document}")
    pdf = compile_pdf(tex, timeout=120)
    assert len(box_warnings((tmp_path / "wide.log").read_text(errors="replace"))) == 2
    (width, _), found = words(pdf)
    assert [w[0] for w in found if w[3] > width] == ["off"]
    assert [w[0] for w in found if width - MARGIN + SLACK < w[3] <= width] == ["margin"]


def test_wide_results_fit_the_page(tmp_path):
    """Results too wide for a matrix: a grid of entries (several to a row) or one long sum per entry, broken."""
    from pylatex import Document

    from symconv.document.blocks import matrix_result
    from symconv.document.build import template

    doc = Document(documentclass="article", document_options=["11pt"], fontenc="T1", lmodern=True,
                   page_numbers=False)
    doc.preamble.append(NoEscape(template("preamble.tex") + CANVAS))
    for cols, terms in ((8, 1), (8, 2), (5, 3), (3, 9)):
        entries = [[sum(sympy.Symbol(f"a_{j + 1}{k}") * (123456 + k) for k in range(terms)) for j in range(cols)]] * 2
        matrix_result(doc, "M", sympy.Matrix(entries), "M")
    tex = doc.dumps()
    assert tex.count("Entry by entry") == 4 and "bmatrix" not in tex
    assert r"M_{11} &= 123456 a_{10} & M_{12} &=" in tex and r"&\quad + 123461 a_{15}" in tex
    pdf = compile_pdf(write_tex(doc, tmp_path, "wide"), timeout=120)
    assert box_warnings((tmp_path / "wide.log").read_text(errors="replace")) == []
    (width, _), found = words(pdf)
    assert found and not [w for w in found if w[1] < MARGIN - SLACK or w[3] > width - MARGIN + SLACK]


def test_commands_print_as_typed(pdfs):
    """A command in the text keeps its two hyphens (T1 would join them into an en dash)."""
    text = subprocess.run(["pdftotext", str(pdfs[(TEMPLATES / "homework.yaml", "full")]), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    assert "symconv limits --symbolic 4" in text and "\u2013symbolic" not in text
