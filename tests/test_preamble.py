"""The documents' preamble: templates/preamble.tex plus the packages PyLaTeX's classes declare, none loaded twice."""

from __future__ import annotations

import re

import pytest

from symconv import derive_solution, load_spec
from symconv.cli import main
from symconv.document import build_document
from symconv.spec import TEMPLATES

USEPACKAGE = re.compile(r"\\usepackage\s*(?:\[[^\]]*\])?\s*\{([^}]*)\}")
SPECS = sorted(TEMPLATES.glob("*.yaml"))


def loaded_packages(tex: str) -> list[str]:
    """The packages a .tex loads before ``\\begin{document}``, in order (comma lists split, comments ignored)."""
    preamble = re.sub(r"(?<!\\)%.*", "", tex.split(r"\begin{document}", 1)[0])
    return [name.strip() for match in USEPACKAGE.finditer(preamble) for name in match.group(1).split(",")
            if name.strip()]


def repeated(names: list[str]) -> list[str]:
    return sorted({name for name in names if names.count(name) > 1})


@pytest.mark.parametrize("tex, expected", [
    (r"\usepackage{amsmath}\usepackage{amssymb}\begin{document}", []),
    (r"\usepackage{amsmath}%" "\n" r"\usepackage{amsmath, amssymb}", ["amsmath"]),
    (r"\usepackage[T1]{fontenc}" "\n" r"\usepackage [utf8] {inputenc,fontenc}", ["fontenc"]),
    ("\\usepackage{tikz}\n% \\usepackage{tikz} (a comment)\n\\usepackage{xcolor}", []),
    ("\\usepackage{xcolor}\n\\begin{document}\\usepackage{xcolor}", []),   # only the preamble counts
])
def test_repeated_packages_are_found(tex, expected):
    assert repeated(loaded_packages(tex)) == expected


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_solve_loads_no_package_twice(spec, tmp_path, capsys):
    """``symconv solve`` for every template: the preamble's packages and PyLaTeX's (amsmath, tikz) appear once."""
    assert main(["solve", str(spec), "--tex-only", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    (tex,) = tmp_path.glob("*.tex")
    names = loaded_packages(tex.read_text(encoding="utf-8"))
    assert {"amsmath", "amssymb", "geometry", "booktabs", "xcolor", "microtype"} <= set(names)
    assert repeated(names) == []


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_handout_loads_no_package_twice(spec):
    names = loaded_packages(build_document(derive_solution(load_spec(spec)), handout=True).dumps())
    assert "amsmath" in names and repeated(names) == []
