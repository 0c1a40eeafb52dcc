"""Solution documents: content driven by the spec, every number from the engine, escaping, and real PDFs."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess

import numpy as np
import pytest
import sympy
import torch
import yaml
from pylatex.utils import escape_latex

from symconv import derive_solution, load_spec
from symconv.document import LatexError, build_document, compile_pdf, write_tex
from symconv.document.compile import first_error, overfull_boxes, safe_name
from symconv.document.equations import chain_equation, feed_counts, split_sum
from symconv.errors import SpecError, VerificationError
from symconv.latex import latex
from symconv.spec import DEFAULT_SPEC, TEMPLATES

SPECS = [DEFAULT_SPEC, TEMPLATES / "stride2-padding1.yaml", TEMPLATES / "maxpool7.yaml"]
needs_tex = pytest.mark.skipif(shutil.which("latexmk") is None or shutil.which("pdftotext") is None,
                               reason="TeX Live / poppler-utils not installed (make tex installs them)")


@pytest.fixture(scope="module")
def homework():
    sol = derive_solution()
    return sol, build_document(sol).dumps()


def homework_dict() -> dict:
    return yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))


def torch_conv(A: sympy.Matrix, B: sympy.Matrix, **cfg) -> np.ndarray:
    x = torch.tensor(np.array(A.tolist(), dtype=float))[None, None]
    w = torch.tensor(np.array(B.tolist(), dtype=float))[None, None]
    return torch.nn.functional.conv2d(x, w, **cfg)[0, 0].numpy()


def numbered_equations(tex: str) -> list[list[str]]:
    """The derivations of the numbered ``align`` environments, each as its rows."""
    bodies = re.findall(r"\\begin\{align\}\s*(.*?)\\end\{align\}", tex, flags=re.S)
    return [[row.strip() for row in eq.split(" \\\\\n")] for body in bodies for eq in body.split(" \\\\[0.5ex]\n")]


def test_homework_has_25_numbered_chain_equations(homework):
    sol, tex = homework
    equations = numbered_equations(tex)
    assert len(equations) == 25
    assert tex.count(r"\begin{equation}") == 0     # one align: the equals signs in one column, not 25 centred
    for rows, (i, j) in zip(equations, [(i, j) for i in range(1, 6) for j in range(1, 6)]):
        rule = sol.chain[(i, j)]
        assert rows[0].startswith(rf"\frac{{\partial E}}{{\partial A_{{{i}{j}}}}} &=")
        assert "\\notag" not in rows[0] and all(row.endswith("\\notag") for row in rows[1:])   # one number each
        body = " ".join(rows)
        # exactly the outputs that depend on A_ij, each once, and the verified value at the end
        assert len(re.findall(r"\\partial E\}\{\\partial C_", body)) == len(rule.terms)
        assert body.removesuffix("\\notag").rstrip().endswith(f"= {latex(sol.grad_input[i - 1, j - 1])}")
    assert len(equations[12]) >= 2   # A_33 feeds 9 outputs: the sum is broken across lines


@pytest.mark.parametrize("i, j, kernel_sum", [(1, 3, "B_{11} + B_{12} + B_{13}"), (3, 1, "B_{11} + B_{21} + B_{31}"),
                                              (2, 2, "B_{11} + B_{12} + B_{21} + B_{22}")])
def test_chain_terms_are_listed_in_index_order(homework, i, j, kernel_sum):
    sol, _ = homework
    assert f"= {kernel_sum} =" in " ".join(chain_equation(sol, sol.chain[(i, j)]))


def test_every_task_of_the_homework_is_rendered_in_order(homework):
    sol, tex = homework
    ids = re.findall(r"\\partheading\{Part (.*?)\}\{", tex)
    assert ids == [escape_latex(p.id) for p in sol.spec.parts]
    assert rf"C = {latex(sol.output)}" in tex
    assert rf"\frac{{\partial E}}{{\partial A}} = {latex(sol.grad_input)}" in tex
    assert rf"Y = {latex(sol.pooled_max)}" in tex
    assert r"4 \cdot 4 + 5 \cdot 3 + 2 \cdot 3" in tex          # C_11's products written out
    assert r"\left\lfloor" in tex and "torch.nn.LPPool2d" in tex and r"\begin{tikzpicture}" in tex


@pytest.mark.parametrize("where, entry, value", [("A", (0, 0), 9), ("B", (1, 1), 1), ("A", (4, 3), 0)])
def test_changing_one_input_changes_every_dependent_number(homework, where, entry, value):
    old, old_tex = homework
    data = homework_dict()
    data["matrices"][where][entry[0]][entry[1]] = value
    new = derive_solution(load_spec(data))
    tex = build_document(new).dumps()
    assert np.array_equal(np.array(new.output.tolist(), dtype=float), torch_conv(new.input, new.kernel))
    for name, before, after in (("C", old.output, new.output), ("Y", old.pooled_max, new.pooled_max),
                                (r"\frac{\partial E}{\partial A}", old.grad_input, new.grad_input)):
        assert f"{name} = {latex(after)}" in tex
        if before != after:
            assert f"{name} = {latex(before)}" not in tex
    assert (old.output != new.output) and (where == "A" or old.grad_input != new.grad_input)
    first = " + ".join(rf"{a} \cdot {b}" for a, b in zip(new.input[:3, :3], new.kernel))  # row-major window
    assert first.split(" + ")[0] in tex


def test_escaping_of_spec_prose():
    data = homework_dict()
    data["course"] = r"\input{/etc/passwd}"
    data["assignment"] = "#$%&_{}"
    tex = build_document(derive_solution(load_spec(data))).dumps()
    assert r"\input{/etc/passwd}" not in tex
    assert r"\textbackslash{}input\{/etc/passwd\}" in tex
    assert r"\#\$\%\&\_\{\}" in tex


def test_a_result_that_fails_verification_aborts_naming_the_entry(homework):
    sol, _ = homework
    wrong = sol.grad_input.copy()
    wrong[1, 2] += 1
    with pytest.raises(VerificationError, match=r"A_\{23\}"):
        build_document(dataclasses.replace(sol, conv=dataclasses.replace(sol.conv, grad_input=wrong)))


def test_a_pooling_part_without_pooling_is_a_spec_error():
    data = homework_dict()
    del data["pooling"]
    data["problems"] = [{**data["problems"][1], "parts": [{**p, "text": ""} for p in data["problems"][1]["parts"]]}]
    with pytest.raises(SpecError, match="needs a pooling section"):
        build_document(derive_solution(load_spec(data)))


def test_feed_counts_match_torch():
    sol = derive_solution(TEMPLATES / "stride2-padding1.yaml")
    x = torch.zeros(1, 1, 6, 6, requires_grad=True, dtype=torch.float64)
    torch.nn.functional.conv2d(x, torch.ones(1, 1, 3, 3, dtype=torch.float64), stride=2, padding=1).sum().backward()
    assert np.array_equal(np.array(feed_counts(sol).tolist(), dtype=float), x.grad[0, 0].numpy())


def test_chain_equation_with_a_negative_kernel_entry():
    sol = derive_solution(TEMPLATES / "stride2-padding1.yaml")
    body = " ".join(chain_equation(sol, sol.chain[(2, 1)]))
    assert "+ -" not in body and body.endswith(f"= {latex(sol.grad_input[1, 0])}")


@pytest.mark.parametrize("stages, width, rows", [
    ([["a"] * 7], 1000, 1), ([["a"] * 7], 100, 2), ([["a"] * 7], 70, 3), ([["a"] * 7], 30, 7),
    ([["a"] * 3, ["1"] * 9], 1000, 1), ([["a"] * 3, ["1"] * 9], 80, 4),
    ([["a"] * 3, ["a"] * 3], 80, 1)])                  # a stage that repeats the one before is left out
def test_split_sum_breaks_where_the_width_runs_out(stages, width, rows):
    assert len(split_sum("x", stages, width)) == rows


@pytest.mark.parametrize("width, counts", [(100, [4, 3]), (70, [3, 2, 2])])
def test_split_sum_balances_its_rows(width, counts):
    assert [row.count("t") for row in split_sum("x", [["t"] * 7], width)] == counts   # never 6 and a lone 1


def spec_tex(path=DEFAULT_SPEC, **changes) -> str:
    """The .tex of a template spec with top-level sections merged with ``changes``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and isinstance(data.get(key), dict) else value
    return build_document(derive_solution(load_spec(data))).dumps()


def test_formulas_in_one_term_order(homework):
    _, tex = homework
    assert tex.count(r"\frac{I + 2 P - K}{S}") == 2    # 1.1a and 1.1b print the same formula (no dilation here)
    assert tex.count(r"I + 2 P - D \left(K - 1\right) - 1") == 1   # the general form once, as 1.1b's aside
    assert r"I + 2 P - K" in tex and "- D" not in tex.split("Part 1.1b")[1].split("O =")[1][:20]


def test_products_are_input_times_kernel_in_symbols_and_numbers():
    data = homework_dict()
    data["matrices"] = {"X": data["matrices"]["A"], "W": data["matrices"]["B"]}
    data["convolution"] = {**data["convolution"], "input": "X", "kernel": "W"}
    data["problems"] = [{**data["problems"][0], "text": "", "parts": [{**p, "text": ""} for p in
                                                                       data["problems"][0]["parts"]]}]
    tex = build_document(derive_solution(load_spec(data))).dumps()
    assert r"C_{11} &= X_{11} W_{11} + X_{12} W_{12}" in tex and r"= 4 \cdot 4 + 5 \cdot 3" in tex


@pytest.mark.parametrize("spec, present, absent", [
    (TEMPLATES / "maxpool7.yaml", [r"$C$'s last row and last column", r"\dfrac{85}{2}", "windows along each axis",
                                   "As in part 2c, no window reaches"], ["padding cells", "windows per axis"]),
    (DEFAULT_SPEC, [], ["padding cells", "last row", "no window reaches"]),
])
def test_pooling_prose_follows_the_sizes(spec, present, absent):
    tex = spec_tex(spec)
    assert all(text in tex for text in present) and not any(text in tex for text in absent)


def test_padding_note_only_with_padding():
    tex = spec_tex(TEMPLATES / "stride2-padding1.yaml", pooling={"padding": 1})
    assert "(padding cells never win the max)" in tex and "(padding cells count as zeros)" in tex


def test_student_text_names_no_installed_build(homework):
    _, tex = homework
    assert torch.__version__ not in tex and "checked against PyTorch." in tex


def test_symbolic_upstream_is_stated_and_each_result_given_once():
    tex = spec_tex(convolution={"upstream": "symbolic"})
    assert tex.count(r"\partial E/\partial C_{uv} = G_{uv}") == 2       # the problem text and the solution
    assert r"\partial C_{uv} = 1" not in tex
    assert "entry by entry (the matrix is too wide" in tex               # dE/dA is too wide for a matrix
    assert r"= B_{11} G_{12} + B_{12} G_{11} = 3 G_{11} + 4 G_{12} \\" in tex   # kernel order, then the value
    assert r"= 4 G_{12} + 3 G_{11}" not in tex                  # no stage that only reorders the value


@pytest.mark.parametrize("section, message", [
    ({"detail": "some"}, "document.detail must be full or summary"),
    ({"numbers": "roman"}, "document.numbers must be fractions or decimals"),
    ({"digits": -1}, "document.digits must be an integer"),
    ({"digits": True}, "document.digits must be an integer"),
    ({"colour": "red"}, "unknown key 'colour'"),
    ("full", "'document' has the wrong type"),
])
def test_bad_document_options_are_spec_errors(section, message):
    with pytest.raises(SpecError, match=message):
        spec_tex(document=section)


def test_numbers_as_decimals():
    tex = spec_tex(TEMPLATES / "maxpool7.yaml", document={"numbers": "decimals", "digits": 2})
    assert r"\begin{bmatrix}42.5 & 57" in tex and r"\dfrac" not in tex.split("Part 2d")[1]


def test_summary_shows_representatives_and_states_the_rule():
    full, summary = spec_tex(TEMPLATES / "maxpool7.yaml"), spec_tex(TEMPLATES / "maxpool7.yaml",
                                                                   document={"detail": "summary"})
    sol = derive_solution(TEMPLATES / "maxpool7.yaml")
    counts = {len(rule.terms) for rule in sol.chain.values()}
    assert len(numbered_equations(full)) == 49 and len(numbered_equations(summary)) == len(counts)
    assert "Every other entry is the same sum over its own window" in summary
    assert r"C_{uv} = \sum_{m,n} A_{m + u - 1,\,n + v - 1}\, B_{mn}" in summary
    assert "every other entry sums over the outputs" in summary and "Every other window" in summary
    assert "Every other" not in full


@pytest.mark.parametrize("verification, shown", [("show", True), ("hide", False)])
def test_verification_notes(verification, shown):
    tex = spec_tex(document={"verification": verification})
    for note in ("checked numerically", "Checked by SymPy", "checked against PyTorch", "mpmath"):
        assert (note in tex) == shown, note


def test_a_part_not_revealed_is_stated_without_its_solution():
    data = homework_dict()
    data["problems"][0]["parts"][2]["reveal"] = False          # 1.1c: compute C
    tex = build_document(derive_solution(load_spec(data))).dumps()
    part = tex.split(r"\partheading{Part 1.1c}")[1].split(r"\partheading")[0]
    assert r"\answerspace" in part and "Solution" not in part and r"\solutionlabel" not in part
    assert "C_{11} &=" not in tex and "Problems with selected solutions" in tex
    data["problems"][0]["parts"][2]["reveal"] = "no"
    with pytest.raises(SpecError, match="'reveal' has the wrong type"):
        load_spec(data)


def test_a_wide_matrix_becomes_a_list_of_entries():
    from pylatex import Document

    from symconv.document.blocks import matrix_result

    box = Document()
    matrix_result(box, "M", sympy.Matrix([[sympy.Symbol(f"x_{k}") * 10 ** 6 for k in range(30)]]), "M")
    tex = box.dumps()
    assert "Entry by entry" in tex and "bmatrix" not in tex and r"M_{1,30} &=" in tex
    box = Document()
    matrix_result(box, "M", sympy.Matrix([[1, 2], [3, 4]]), "M")
    assert "bmatrix" in box.dumps() and "Entry by entry" not in box.dumps()


def test_lp_proof_prose_is_typeset_as_maths(homework):
    _, tex = homework
    lp = tex.split(r"\partheading{Part 1.2d}")[1]
    prose = re.sub(r"\$[^$]*\$", "X", re.sub(r"\\texttt\{[^}]*\}", "X", lp))   # what is set as text
    words = re.sub(r"\\[A-Za-z]+", "", prose)
    assert not re.findall(r"(?<![\w'])[b-zA-WYZ](?![\w])", words)     # no variable (m, p, N, t) set upright
    assert not re.search(r"\s-\s", words)                             # no hyphen standing in for a minus sign
    assert " ," not in words and " ;" not in words and "normalised" not in tex
    assert r"p t^{p - 1}" in lp and r"\frac{p t^{p}}{t}" not in lp     # the derivative simplified
    assert "SymPy verified" not in lp and lp.count("Checked by SymPy") == 2 and "(m t_i)" not in lp


@pytest.mark.parametrize("log, error", [
    ("! Undefined control sequence.\nl.7 \\foo\n", "! Undefined control sequence. (l.7 \\foo)"),
    ("./a.tex:3: LaTeX Error: File `x.sty' not found.\n", "./a.tex:3: LaTeX Error: File `x.sty' not found."),
    ("no errors here\n", None)])
def test_first_error(log, error):
    assert first_error(log) == error


def test_safe_name():
    assert safe_name("homework") == "homework" and "/" not in safe_name("../../x") and safe_name("///") == "solution"


def pdf_text(pdf) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.slow
@needs_tex
@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_shipped_specs_compile_without_overfull_lines(spec, tmp_path):
    sol = derive_solution(spec)
    pdf = compile_pdf(write_tex(build_document(sol), tmp_path, sol.spec.name))
    assert pdf.exists() and pdf.stat().st_size > 10_000
    log = (tmp_path / f"{sol.spec.name}.log").read_text(errors="replace")
    assert [pt for pt in overfull_boxes(log) if pt > 10] == []
    text = pdf_text(pdf)
    n = sol.input.rows * sol.input.cols
    if any(p.task == "kernel-gradient" for p in sol.spec.parts):   # its equations are numbered after the input's
        n += sol.kernel.rows * sol.kernel.cols
    assert all(f"({k})" in text for k in range(1, n + 1)) and f"({n + 1})" not in text


@pytest.mark.slow
@needs_tex
def test_homework_pdf_shows_gradient_matrix_and_25_equations(homework, tmp_path):
    sol, _ = homework
    pdf = compile_pdf(write_tex(build_document(sol), tmp_path, "homework"))
    text = pdf_text(pdf)
    numbers = [int(n) for n in re.findall(r"\((\d+)\)", text)]
    assert [n for n in numbers if n <= 30] == list(range(1, 26))
    for row in sol.grad_input.tolist():   # each row of the 5x5 gradient matrix, in one line of the PDF
        assert re.search(r"\s+".join(str(v) for v in row), text), row


@pytest.mark.slow
@needs_tex
def test_escaped_prose_typesets_literally(tmp_path):
    data = homework_dict()
    data["course"] = r"\input{/etc/passwd}"
    data["assignment"] = "#$%&_{} |x| <a>"
    pdf = compile_pdf(write_tex(build_document(derive_solution(load_spec(data))), tmp_path, "escaped"))
    text = pdf_text(pdf)
    # T1 encoding: _ | < > are themselves (OT1 drew a rule, an em dash and inverted ! and ?)
    assert r"\input{/etc/passwd}" in text and "#$%&_{} |x| <a>" in text and "root:" not in text


@pytest.mark.slow
@needs_tex
@pytest.mark.parametrize("body, message", [
    (r"\undefinedmacro", "Undefined control sequence"),
    (r"\input{/etc/hostname}", "not found"),          # paranoid file access: no absolute paths
    (r"\input{../secret}", "not found")])
def test_latex_failures_are_one_line(tmp_path, body, message):
    (tmp_path / "bad.tex").write_text(rf"\documentclass{{article}}\begin{{document}}{body}\end{{document}}")
    with pytest.raises(LatexError, match=message) as err:
        compile_pdf(tmp_path / "bad.tex", timeout=120)
    assert "\n" not in str(err.value)


@pytest.mark.slow
@needs_tex
def test_no_shell_escape(tmp_path):
    (tmp_path / "esc.tex").write_text(
        r"\documentclass{article}\begin{document}\immediate\write18{touch pwned}x\end{document}")
    compile_pdf(tmp_path / "esc.tex", timeout=120)
    assert not (tmp_path / "pwned").exists()


# --- the document's own cross-checks must be able to fail (issue 11: failure-path tests) --------------------------

def _with(sol, **cached):
    """A copy of ``sol`` whose cached pooled values are replaced (as a faulty engine would have derived them)."""
    copy = dataclasses.replace(sol)
    copy.__dict__.update(cached)
    return copy


@pytest.mark.parametrize("axis", [0, 1])
def test_document_refuses_an_output_size_the_formula_does_not_give(homework, axis):
    sol, _ = homework
    shape = list(sol.output_shape)
    shape[axis] += 1
    with pytest.raises(VerificationError, match="output size"):
        build_document(dataclasses.replace(sol, conv=dataclasses.replace(sol.conv, output_shape=tuple(shape))))


def _off_by_one(matrix, u=0, v=1):
    wrong = matrix.copy()
    wrong[u, v] += 1
    return wrong


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_document_refuses_pooled_values_the_numeric_pooling_does_not_give(homework, kind):
    """check_solution compares every pooled value the document prints with symconv.numeric."""
    from symconv.document.equations import check_solution

    sol, _ = homework
    bad = _with(sol, **{f"pooled_{kind}": _off_by_one(getattr(sol, f"pooled_{kind}"))})
    with pytest.raises(VerificationError, match=r"verification failed for Y at Y_\{12\}"):
        check_solution(bad)
    with pytest.raises(VerificationError):
        build_document(bad)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_lines_refuse_a_value_that_is_not_its_windows(homework, kind):
    """Each written Y_uv is re-pooled from the entries listed beside it; a wrong value is caught there too."""
    from symconv.document.equations import pool_lines

    sol, _ = homework
    assert pool_lines(sol, kind)
    bad = _with(sol, **{f"pooled_{kind}": _off_by_one(getattr(sol, f"pooled_{kind}"))})
    with pytest.raises(VerificationError, match=r"Y at Y_\{12\}"):
        pool_lines(bad, kind)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_lines_check_the_listed_windows_against_numeric_pooling(homework, monkeypatch, kind):
    """If the windows themselves were wrong (engine and document agreeing on them), symconv.numeric catches it."""
    from symconv.document import equations
    from symconv.pooling import pool_windows

    def shifted(*args, **kwargs):  # every window takes the cells of the next one
        rows = pool_windows(*args, **kwargs)
        flat = [w for row in rows for w in row]
        cells = iter([w.cells for w in flat[1:]] + [flat[0].cells])
        return [[dataclasses.replace(w, cells=next(cells)) for w in row] for row in rows]

    sol, _ = homework
    pool, x = sol.spec.pooling, sol.pool_input
    wrong = sympy.zeros(*sol.pooled_max.shape)
    for row in shifted(x.shape, pool.kernel_size, pool.stride, pool.padding):
        for w in row:
            entries = [x[a, b] for a, b in w.cells]
            wrong[w.u, w.v] = sympy.Max(*entries) if kind == "max" else sympy.Add(*entries) / w.padded_count
    assert wrong != getattr(sol, f"pooled_{kind}")
    monkeypatch.setattr(equations, "pool_windows", shifted)
    with pytest.raises(VerificationError, match="verification failed for Y"):
        equations.pool_lines(_with(sol, **{f"pooled_{kind}": wrong}), kind)


@pytest.mark.parametrize(("spec", "present", "absent"), [
    (TEMPLATES / "symbolic-3x3.yaml", ["depends on $x_{k}$", "each $x_{k}$ feeds"], ["x_{ij}", "y_{uv}"]),
    (DEFAULT_SPEC, ["depends on $A_{ij}$", "each $A_{ij}$ feeds"], ["A_{k}"]),
])
def test_the_input_gradients_prose_numbers_entries_as_the_problem_does(spec, present, absent):
    tex = spec_tex(spec)
    assert all(text in tex for text in present) and not any(text in tex for text in absent)


@pytest.mark.parametrize(("dilation", "row"), [
    (1, r"\text{rows} &= \left\lfloor \frac{5 + 2 \cdot 0 - 3}{1} \right\rfloor + 1 = 3"),
    (2, r"\text{rows} &= \left\lfloor \frac{5 + 2 \cdot 2 - 2 \cdot \left(3 - 1\right) - 1}{1} \right\rfloor + 1 = 5"),
])
def test_the_output_size_names_the_dilation_only_when_there_is_one(dilation, row):
    assert row in spec_tex(convolution={"dilation": dilation, "padding": 2 * (dilation - 1)})
