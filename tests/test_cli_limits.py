"""``symconv limits``, in-process: output, JSON keys, exit codes and one-line errors."""

from __future__ import annotations

import json

import pytest
import sympy

from symconv.cli import main


def test_window_text_shows_limits_table_and_verified(capsys):
    assert main(["limits", "--window", "109,92,108,85"]) == 0
    out = capsys.readouterr().out
    for row in ("p = 1", "p -> oo", "p -> 0+", "p -> -oo", "197/2", "geometric mean", " 1024  "):
        assert row in out
    assert out.rstrip().endswith("verified: yes")


def test_window_json_has_exactly_the_documented_keys(capsys):
    assert main(["limits", "--window", "109,92,108,85", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"window", "norm", "limits", "table", "verified"}
    assert data["window"] == [109, 92, 108, 85] and data["norm"] == "normalized" and data["verified"] is True
    assert set(data["limits"]) == {"p=1", "p->inf", "p->0", "p->-inf"}
    assert data["limits"]["p=1"] == 98.5 and data["limits"]["p->inf"] == 109 and data["limits"]["p->-inf"] == 85
    assert [p for p, _ in data["table"]] == [2**k for k in range(11)]
    values = [v for _, v in data["table"]]
    assert values == sorted(values) and 108.8 < values[-1] < 109


def test_window_json_torch_norm_has_null_for_infinite_limit(capsys):
    assert main(["limits", "--window", "109,92,108,85", "--norm", "torch", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["norm"] == "torch"
    assert data["limits"] == {"p=1": 394.0, "p->inf": 109.0, "p->0": None, "p->-inf": 85.0}
    values = [v for _, v in data["table"]]
    assert values == sorted(values, reverse=True)


def test_window_latex(capsys):
    assert main(["limits", "--window", "3,1", "--format", "latex"]) == 0
    out = capsys.readouterr().out
    assert r"\begin{tabular}" in out and r"p \to \infty" in out


def test_abs_form_for_negative_entries(capsys):
    assert main(["limits", "--window=-5,2", "--abs", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["limits"]["p->inf"] == 5.0


@pytest.mark.parametrize("n", [1, 4])
def test_symbolic_proof_text(n, capsys):
    assert main(["limits", "--symbolic", str(n)]) == 0
    out = capsys.readouterr().out
    assert "Therefore: lim[p->oo]" in out and "Therefore: M_1 =" in out
    assert "FAILED" not in out and out.count("[SymPy ok") == 12 + 3


def test_symbolic_proof_latex_and_json(capsys):
    assert main(["limits", "--symbolic", "3", "--norm", "torch", "--format", "latex"]) == 0
    assert capsys.readouterr().out.count(r"\begin{enumerate}") == 2
    assert main(["limits", "--symbolic", "2", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verified"] is True and len(data["proofs"]) == 2


@pytest.mark.parametrize("argv, message", [
    (["--window", "1,a"], "finite numbers"),
    (["--window", ""], "comma-separated"),
    (["--window", "1,,2"], "comma-separated"),
    (["--window=-1,2"], "nonnegative"),
    (["--window", ",".join(["1"] * 17)], "at most 16"),
    (["--window", "1e400"], "at most 1e100"),
    (["--symbolic", "0"], "from 1 to 32"),
    (["--symbolic", "1000"], "from 1 to 32"),
    (["--symbolic", "x"], "integer"),
    (["--window", "1,2", "--symbolic", "2"], "not allowed"),
    ([], "required"),
    (["--window", "1,2", "--norm", "max"], "invalid choice"),
])
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys):
    assert main(["limits", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1 and message in captured.err


@pytest.mark.parametrize("window, minimum", [("7.5,3,11,2,6.25,9", "2"), ("1.5,2.5", "3/2")])
def test_window_whose_sympy_limit_is_unsimplified_is_verified(window, minimum, capsys):
    """Issue 15: SymPy returns min at p -> -oo as 5**c/2**c; the CLI shows the direct form, agrees, exits 0."""
    assert main(["limits", "--window", window]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("p -> -oo"))
    assert row.split()[4:6] == [minimum, str(float(sympy.Rational(minimum)))] and " yes " in row
    assert "NO" not in out and out.rstrip().endswith("verified: yes")
