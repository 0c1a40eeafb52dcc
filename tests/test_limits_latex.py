"""Proofs and window limits through the project printer: ``latex(obj, **settings)`` reaches every piece of maths."""

from __future__ import annotations

import pytest
import sympy

from symconv.latex import latex
from symconv.limits import Proof, prove_max_limit, prove_p1, window_limits
from symconv.limits.summary import _exact
from symconv.limits.window import LIMIT_KEYS


def math_pieces(proof: Proof) -> list[sympy.Basic]:
    """Every SymPy object a proof typesets: claims, conclusion, and the maths in assumptions and reasons."""
    parts = [*proof.assumptions, *(part for step in proof.steps for part in step.justification)]
    return [*(step.claim for step in proof.steps), proof.conclusion, *(p for p in parts if isinstance(p, sympy.Basic))]


SETTINGS = [{"fold_short_frac": True}, {"mul_symbol": "dot"}, {"decimals": 2}]


@pytest.mark.parametrize("prove, n, norm", [(prove_max_limit, 3, "normalized"), (prove_p1, 3, "normalized"),
                                            (prove_max_limit, 2, "torch")])
@pytest.mark.parametrize("settings", SETTINGS, ids=["fold_short_frac", "mul_symbol", "decimals"])
def test_proof_settings_reach_every_piece(prove, n, norm, settings):
    """Each claim, conclusion and inline formula is the printer's output under the settings (a piece printed by a
    fresh printer would keep the default form, and the lines below would not match)."""
    proof = prove(n, norm)
    tex = latex(proof, **settings)
    assert tex == proof.to_latex(**settings)
    items = [line for line in tex.splitlines() if line.startswith(r"\item ")]
    assert len(items) == len(proof.steps)
    for line, step in zip(items, proof.steps, strict=True):
        assert line.startswith(rf"\item $\displaystyle {latex(step.claim, **settings)}$ \\ ")
        for part in step.justification:
            if isinstance(part, sympy.Basic):
                assert f"${latex(part, **settings)}$" in line
    assert rf"Therefore: $\displaystyle {latex(proof.conclusion, **settings)}$." in tex
    changed = [p for p in math_pieces(proof) if latex(p, **settings) != latex(p)]
    if changed:   # the settings show: the default form of a changed piece is gone from its place
        assert tex != proof.to_latex()


def test_the_proof_settings_change_something():
    """The table above is not vacuous: every setting changes some piece of some proof."""
    proofs = [prove_max_limit(3), prove_p1(3)]
    for settings in SETTINGS:
        assert any(latex(p, **settings) != latex(p) for proof in proofs for p in math_pieces(proof)), settings
        assert any(latex(proof, **settings) != latex(proof) for proof in proofs), settings


@pytest.mark.parametrize("window, norm, settings, shown", [
    ([109, 92, 108, 85], "normalized", {"decimals": 1}, "$98.5$"),
    ([109, 92, 108, 85], "normalized", {"root_notation": False}, r"5753565^{\frac{1}{4}}"),
    ([0, "3/2", 1], "torch", {"decimals": 2}, "$2.5$"),
])
def test_window_limits_settings_reach_the_exact_values(window, norm, settings, shown):
    result = window_limits(window, norm, powers=(1, 2, 4))
    tex = latex(result, **settings)
    assert tex == result.to_latex(**settings) and shown in tex and shown not in result.to_latex()
    for key in LIMIT_KEYS:   # every exact value in its cell, printed with the settings
        exact = _exact(result.limits[key])
        if exact is not None:
            assert f"&${latex(exact, **settings)}$&" in tex, key


def test_proof_latex_layout():
    """The proof is one ``enumerate``, one ``\\item`` line per step, between the heading and the conclusion."""
    proof = prove_p1(2)
    lines = proof.to_latex().splitlines()
    assert lines[0].startswith(r"\paragraph{") and "} Assume " in lines[0]
    assert lines[1] == r"\begin{enumerate}" and lines[2 + len(proof.steps)] == r"\end{enumerate}"
    assert lines[3 + len(proof.steps)].startswith("Therefore: ")
