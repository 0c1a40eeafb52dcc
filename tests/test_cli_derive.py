"""``symconv derive``, in-process: every entry printed, equal to conv2d_grad; one-line usage errors, exit 2."""

from __future__ import annotations

import json

import pytest

from symconv import conv2d_grad, sym_matrix
from symconv.cli import main
from symconv.latex import latex


def derive(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["derive", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def text_entries(out: str) -> dict[str, str]:
    """``dE/dA_12 = B_11 + B_12`` lines -> {"A_12": "B_11 + B_12"} (the value after the last " = ")."""
    lines = [line for line in out.splitlines() if line.startswith("dE/d")]
    return {line.split(" = ", 1)[0][len("dE/d"):]: line.rsplit(" = ", 1)[1] for line in lines}


def test_all_25_entries_equal_conv2d_grad(capsys):
    code, out, err = derive(capsys, "--input", "5x5", "--kernel", "3x3")
    assert code == 0 and err == ""
    A, B = sym_matrix("A", 5, 5), sym_matrix("B", 3, 3)
    dA, _ = conv2d_grad(A, B)
    entries = text_entries(out)
    assert list(entries) == [f"A_{i}{j}" for i in range(1, 6) for j in range(1, 6)]
    assert entries == {str(a): str(g) for a, g in zip(A, dA)}
    assert entries["A_33"] == " + ".join(str(b) for b in B)
    assert "checked numerically" in out.splitlines()[0]


def test_defaults_are_the_homework_sizes(capsys):
    assert derive(capsys)[1] == derive(capsys, "--input", "5x5", "--kernel", "3x3")[1]


def test_json(capsys):
    code, out, _ = derive(capsys, "--input", "5x5", "--kernel", "3x3", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert len(data["entries"]) == 25 and len(data["latex"]) == 25
    assert data["output"] == [3, 3] and data["wrt"] == "input" and data["upstream"] == "ones"
    A, B = sym_matrix("A", 5, 5), sym_matrix("B", 3, 3)
    dA, _ = conv2d_grad(A, B)
    assert data["entries"] == {str(a): str(g) for a, g in zip(A, dA)}
    assert data["latex"]["A_12"] == "B_{11} + B_{12}" == latex(dA[0, 1])


def test_latex(capsys):
    code, out, _ = derive(capsys, "--format", "latex")
    lines = out.strip().splitlines()
    assert code == 0 and lines[0] == r"\begin{align*}" and lines[-1] == r"\end{align*}"
    body = lines[1:-1]
    assert len(body) == 25 and all("&=" in line for line in body)
    assert body[1] == r"\frac{\partial E}{\partial A_{12}} &= B_{11} + B_{12} \\"
    assert not body[-1].endswith("\\\\")


def test_latex_chain(capsys):
    code, out, _ = derive(capsys, "--format", "latex", "--chain")
    body = out.strip().splitlines()[1:-1]
    assert code == 0 and len(body) == 25
    assert body[0] == (r"\frac{\partial E}{\partial A_{11}} &= \frac{\partial E}{\partial C_{11}} "
                       r"\frac{\partial C_{11}}{\partial A_{11}} = B_{11} \\")


def test_wrt_kernel(capsys):
    code, out, _ = derive(capsys, "--wrt", "kernel")
    A, B = sym_matrix("A", 5, 5), sym_matrix("B", 3, 3)
    _, dB = conv2d_grad(A, B)
    entries = text_entries(out)
    assert code == 0 and entries == {str(b): str(g) for b, g in zip(B, dB)}
    assert len(entries) == 9


def test_symbolic_upstream(capsys):
    code, out, _ = derive(capsys, "--upstream", "symbolic", "--input", "4x4", "--kernel", "2x2")
    A, B, G = sym_matrix("A", 4, 4), sym_matrix("B", 2, 2), sym_matrix("G", 3, 3)
    dA, _ = conv2d_grad(A, B, G)
    assert code == 0 and text_entries(out) == {str(a): str(g) for a, g in zip(A, dA)}
    assert "dE/dC = G" in out.splitlines()[0]


def test_chain_text(capsys):
    code, out, _ = derive(capsys, "--chain")
    line = next(x for x in out.splitlines() if x.startswith("dE/dA_12 "))
    assert code == 0
    assert line == "dE/dA_12 = dE/dC_11*dC_11/dA_12 + dE/dC_12*dC_12/dA_12 = B_11 + B_12"


@pytest.mark.parametrize("args", [
    ("--stride", "2", "--padding", "1"),
    ("--stride", "1,2", "--dilation", "2,1"),
    ("--input", "6×7", "--kernel", "2,3", "--upstream", "symbolic"),
    ("--input", "4", "--kernel", "1", "--padding", "2"),
])
def test_configurations_match_the_library(capsys, args):
    code, out, _ = derive(capsys, *args, "--format", "json")
    assert code == 0
    data = json.loads(out)
    A, B = sym_matrix("A", *data["input"]), sym_matrix("B", *data["kernel"])
    cfg = {k: tuple(data[k]) if isinstance(data[k], list) else data[k] for k in ("stride", "padding", "dilation")}
    G = sym_matrix("G", *data["output"]) if data["upstream"] == "symbolic" else None
    dA, _ = conv2d_grad(A, B, G, **cfg)
    assert set(data["entries"]) == {str(a) for a in A}
    assert data["entries"] == {str(a): str(g) for a, g in zip(A, dA)}


@pytest.mark.parametrize("args", [
    ("--stride", "0"),
    ("--dilation", "0"),
    ("--input", "5y"),
    ("--input", "0x5"),
    ("--input", "500x5"),
    ("--kernel", "7x7"),                      # bigger than the 5x5 input
    ("--input", "3x3", "--kernel", "2x4"),
    ("--padding", "-1"),
    ("--padding", "1,2,3"),
    ("--stride", "x"),
    ("--format", "pdf"),
    ("--upstream", "zeros"),
    ("--wrt", "output"),
    ("--no-such-flag",),
])
def test_bad_arguments_exit_2_with_one_line(capsys, args):
    code, out, err = derive(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert "Traceback" not in err


def test_ctrl_c_while_the_engine_loads_is_one_line_and_exit_130(monkeypatch, capsys):
    """Building the parser imports SymPy (most of a second): a Ctrl-C then is handled like any other."""
    import symconv.cli as cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert cli.main(["derive"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_import_symconv_loads_no_sympy():
    """`import symconv` (and the command's entry point) is instant: names load on first use."""
    import subprocess
    import sys

    code = "import sys, symconv, symconv.cli; print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False"
