"""symconv.document.answer_sheet and ``symconv answer-sheet``: for every spec in templates/, one line per part or
field that the grader reads back; filled with the engine's answers it grades to full marks, one wrong line costs
exactly that line's credit; the empty sheet compiles with no bad box; spec strings cannot break the LaTeX or the
reading."""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import sympy
import yaml

from grader import grade
from grader.submission import read_answer_sheet
from symconv import derive_solution, load_spec
from symconv.cli import main
from symconv.document import compile_pdf
from symconv.document.answer_sheet import answer_sheet, comment
from symconv.document.compile import box_warnings
from symconv.document.equations import printer
from symconv.errors import SpecError
from symconv.latex import latex
from symconv.solution import Solution
from symconv.spec import DEFAULT_SPEC, TEMPLATES, Part
from symconv.tasks import task
from symconv.tasks.common import pooled_shape
from symconv.tasks.kernel_gradient import fields as kernel_fields
from symconv.tasks.kernel_gradient import kernel_chain

SPECS = sorted(TEMPLATES.glob("*.yaml"))
needs_tex = pytest.mark.skipif(shutil.which("latexmk") is None, reason="TeX Live not installed (make tex)")
LABEL = re.compile(r"^\\answer\{((?:[^{}]|\{[^{}]*\})*)\}\{\}$", flags=re.M)
HOSTILE = "#$%&_{}\\ ~^ <> \\answer{1.1a}{3x3} \\input{/etc/passwd}"

# Answers the engine derives but hands over as no reference or value, printed the way a student writes them.
SIZES = {
    "output-size": lambda sol: sol.output_shape,
    "pool-output-size": lambda sol: pooled_shape(sol.spec),
}
WHOLE = {"output-size-formula": lambda sol, part: latex(sol.output_size_formula)}
# Fields whose answers are definitions, not values: written as a student would (the grader checks them on samples).
WRITTEN = {
    ("pooling-formulas", "max"): r"Y^k_{ij} = \max_{(m,n) \in S^k_{ij}} X^k_{mn}",
    ("pooling-formulas", "avg"): r"Y^k_{ij} = \frac{1}{|S^k_{ij}|} \sum_{(m,n) \in S^k_{ij}} X^k_{mn}",
    ("pooling-formulas", "lp"): r"Y^k_{ij} = \left( \sum_{(m,n) \in S^k_{ij}} (X^k_{mn})^p \right)^{1/p}",
    ("lp-limits", "max"): r"p \to \infty",
    ("lp-limits", "avg"): "p = 1",
}


def size(shape: tuple[int, ...]) -> str:
    return r" \times ".join(str(n) for n in shape)


def field_answer(sol: Solution, part: Part, field: str) -> str:
    if part.task == "input-gradient":   # the fields name the entries row by row, as the spec numbers them
        names = printer(sol, {})
        totals = dict(zip(task(part.task).fields(sol.spec), (latex(sol.chain[key].total, **names)
                                                              for key in sorted(sol.chain))))
        return totals[field]
    if part.task == "kernel-gradient":   # one sum of input entries per kernel entry, row by row
        rules = kernel_chain(sol)
        return dict(zip(kernel_fields(sol.spec), (latex(rules[key].total, **printer(sol, {}))
                                                  for key in sorted(rules))))[field]
    if part.task == "pooling-modules":
        return sol.pool_modules[field]
    if (part.task, field) in WRITTEN:
        return WRITTEN[part.task, field]
    value = task(part.task).value(sol, part) if getattr(task(part.task), "value", None) is not None else None
    if isinstance(value, Mapping) and field in value:   # one matrix per channel (``Z[1]``)
        return latex(value[field])
    pytest.fail(f"no reference answer for field {field!r} of task {part.task!r}: add it to field_answer")


def engine_answer(sol: Solution, part: Part) -> Any:
    """The engine's answer to a part without fields: a matrix, a number or a shape (None: none of these)."""
    t = task(part.task)
    if t.reference is not None:
        return t.reference(sol)
    if getattr(t, "value", None) is not None:
        value = t.value(sol, part)
        return next(iter(value.values())) if isinstance(value, Mapping) and len(value) == 1 else value
    return SIZES[part.task](sol) if part.task in SIZES else None


def printed(value: Any) -> str:
    if isinstance(value, sympy.MatrixBase):
        return latex(value)
    return size(value) if isinstance(value, tuple) else latex(sympy.sympify(value))


def reference_answers(sol: Solution) -> dict[str, str]:
    """Every line of the sheet filled from the engine: label -> LaTeX."""
    answers: dict[str, str] = {}
    for part in sol.spec.parts:
        fields = task(part.task).answer_fields(sol.spec, part)
        if fields:
            answers.update({f"{part.id}/{f}": field_answer(sol, part, f) for f in fields})
        elif (value := engine_answer(sol, part)) is not None:
            answers[part.id] = printed(value)
        elif part.task in WHOLE:
            answers[part.id] = WHOLE[part.task](sol, part)
        else:
            pytest.fail(f"no reference answer for task {part.task!r}: add it to reference_answers")
    return answers


def fill(sheet: str, answers: dict[str, str], student: str = "ada") -> str:
    """The sheet with each labelled line's second braces filled (every label must be on the sheet once)."""
    for label, value in answers.items():
        empty = f"\\answer{{{label}}}{{}}"
        assert sheet.count(empty) == 1, label
        sheet = sheet.replace(empty, f"\\answer{{{label}}}{{{value}}}")
    return sheet.replace(r"\student{}", f"\\student{{{student}}}")


def spec_id(path: Path) -> str:
    return path.stem


@pytest.mark.parametrize("path", SPECS, ids=spec_id)
def test_one_line_per_part_or_field_under_the_problem_titles(path):
    spec = load_spec(path)
    sheet = answer_sheet(spec)
    expected = []
    for part in spec.parts:
        fields = task(part.task).answer_fields(spec, part)
        expected += [f"{part.id}/{f}" for f in fields] if fields else [part.id]
    assert LABEL.findall(sheet) == expected
    assert read_answer_sheet(sheet) == ("", {})   # empty lines are no answers
    titles = [m for m in re.findall(r"^\\section\*\{Problem (.*)\}$", sheet, flags=re.M)]
    assert titles == [f"{p.id}: {p.title}" if p.title else p.id for p in spec.problems]


@pytest.mark.parametrize("path", SPECS, ids=spec_id)
def test_the_sheet_filled_with_the_engines_answers_grades_to_full_marks(tmp_path, path):
    spec = load_spec(path)
    answers = reference_answers(derive_solution(spec))
    sheet = tmp_path / "ada.tex"
    sheet.write_text(fill(answer_sheet(spec), answers))
    result = grade(spec, sheet)
    assert result.student == "ada" and result.status == "ok"
    assert [(p.part, p.score) for p in result.parts if p.score != p.max_score] == []
    assert result.score == result.max_score == spec.max_score


def _kind(sol: Solution, part: Part) -> str:
    if task(part.task).answer_fields(sol.spec, part):
        return "field"
    value = engine_answer(sol, part)
    return "other" if value is None else "matrix" if isinstance(value, sympy.MatrixBase) else "value"


def _wrong_lines(path: Path) -> list[tuple[Path, str]]:
    """One line of each kind the spec has: the first field of a part with fields, the first entry of a matrix
    part, the first part whose answer is a number or a size."""
    sol = derive_solution(load_spec(path))
    firsts: dict[str, str] = {}
    for part in sol.spec.parts:
        kind = _kind(sol, part)
        label = f"{part.id}/{task(part.task).answer_fields(sol.spec, part)[0]}" if kind == "field" else part.id
        firsts.setdefault(kind, label)
    return [(path, label) for kind, label in firsts.items() if kind != "other"]


WRONG = [case for path in SPECS for case in _wrong_lines(path)]


@pytest.mark.parametrize("path, label", WRONG, ids=[f"{p.stem}-{label}" for p, label in WRONG])
def test_one_wrong_line_loses_exactly_its_credit(tmp_path, path, label):
    spec = load_spec(path)
    sol = derive_solution(spec)
    answers = reference_answers(sol)
    part_id, _, field = label.partition("/")
    part = spec.part(part_id)
    kind = _kind(sol, part)
    if kind == "field":     # one line of the part's fields: its share of the part
        answers[label] = "1000"
        credit = part.points / len(task(part.task).answer_fields(spec, part))
    elif kind == "matrix":  # one entry of the matrix: its share of the part
        reference = engine_answer(sol, part).copy()
        reference[0, 0] += 1000
        answers[label] = latex(reference)
        credit = part.points / len(reference)
    else:                   # a number or a size, 1000 too large (no diagnosed mistake): the whole part
        value = engine_answer(sol, part)
        answers[label] = size(tuple(n + 1000 for n in value)) if isinstance(value, tuple) else str(value + 1000)
        credit = part.points
    sheet = tmp_path / "bo.tex"
    sheet.write_text(fill(answer_sheet(spec), answers, student="bo"))
    result = grade(spec, sheet)
    lost = {p.part: p.max_score - p.score for p in result.parts if p.score != p.max_score}
    assert lost == {part_id: pytest.approx(credit, abs=1e-5)}   # scores are kept to 6 places
    assert result.score == pytest.approx(spec.max_score - credit, abs=1e-5)


def test_the_example_sheet_is_the_generated_sheet_filled():
    """examples/submissions/answer-sheet.tex (other tests grade it) is this generator's sheet with answers in, line
    for line but for the comments (the questions' wording may change without changing the sheet)."""
    example = (Path(__file__).resolve().parent.parent / "examples" / "submissions" / "answer-sheet.tex").read_text()
    student, answers = read_answer_sheet(example)
    flat = {f"{p}/{k}" if k else p: v for p, a in answers.items()
            for k, v in (a.items() if isinstance(a, dict) else [("", a)])}
    generated = fill(answer_sheet(load_spec(None)), flat, student)
    assert [line for line in generated.splitlines() if not line.startswith("%")] == \
        [line for line in example.splitlines() if not line.startswith("%")]


# --- spec strings that reach the sheet ------------------------------------------------------------------------------

def hostile_spec(**changes: Any) -> dict[str, Any]:
    data = yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))
    data.update(course=HOSTILE, assignment=HOSTILE, name="hostile")
    data["problems"][0]["title"] = HOSTILE
    data["problems"][1]["title"] = "two\nlines \\answer{1.1a}{4x4}"
    data["problems"][0]["parts"][0]["text"] = "What size?\n\\answer{1.1c}{1} % and \\student{eve}"
    data.update(changes)
    return data


def test_spec_strings_are_text_and_comments_not_answers():
    sheet = answer_sheet(load_spec(hostile_spec()))
    assert read_answer_sheet(sheet) == ("", {})
    assert r"\section*{Problem 1.1: \#\$\%\&\_\{\}\textbackslash{} \textasciitilde{}\^{} <> \textbackslash{}answer" \
        in sheet
    assert "% 1.1a (1 point): What size? \\answer{1.1c}{1} % and \\student{eve}" in sheet


@pytest.mark.parametrize("text, lines", [
    ("a\nb   c", ["% a b c"]),
    ("", []),
    ("x " * 70, ["% " + "x " * 58 + "x", "% " + "x " * 10 + "x"]),
])
def test_comments_stay_comments(text, lines):
    assert comment(text) == lines


@pytest.mark.parametrize("part_id", ["1%a", "1\\a", "1#a", "1/a", "1{a", "1}a{", "1é", " ", "1\na"])
def test_a_part_id_the_grader_could_not_read_back_is_refused(part_id):
    data = yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))
    data["problems"][0]["parts"][0]["id"] = part_id
    with pytest.raises(SpecError, match="cannot label an answer-sheet line"):
        answer_sheet(load_spec(data))


@pytest.mark.parametrize("part_id", ["1 (a)", "Q1.a", "1.1{a}", "a_{1}"])
def test_part_ids_the_grader_reads_back_are_labels(part_id):
    data = yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))
    data["problems"][0]["parts"][0]["id"] = part_id
    sheet = answer_sheet(load_spec(data))
    assert read_answer_sheet(sheet.replace(f"\\answer{{{part_id}}}{{}}", f"\\answer{{{part_id}}}{{3x3}}")) == \
        ("", {part_id: "3x3"})


# --- compiled: one pdflatex run per spec ---------------------------------------------------------------------------

COMPILED = [*SPECS, "hostile"]


@pytest.mark.slow
@needs_tex
@pytest.mark.parametrize("source", COMPILED, ids=lambda s: s if isinstance(s, str) else s.stem)
def test_the_empty_sheet_compiles_with_no_bad_box(tmp_path, source):
    spec = load_spec(hostile_spec() if source == "hostile" else source)
    tex = tmp_path / "sheet.tex"
    tex.write_text(answer_sheet(spec), encoding="utf-8")
    pdf = compile_pdf(tex, timeout=300)
    assert pdf.stat().st_size > 1000
    assert box_warnings(tex.with_suffix(".log").read_text(errors="replace")) == []


# --- the command ---------------------------------------------------------------------------------------------------

def test_cli_prints_the_sheet_or_writes_it(tmp_path, capsys):
    assert main(["answer-sheet", str(TEMPLATES / "maxpool7.yaml")]) == 0
    printed = capsys.readouterr().out
    assert printed == answer_sheet(load_spec(TEMPLATES / "maxpool7.yaml"))
    out = tmp_path / "sheets" / "hw.tex"
    assert main(["answer-sheet", "--out", str(out)]) == 0
    assert out.read_text() == answer_sheet(load_spec(None)) and str(out) in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["answer-sheet", "no-such-spec.yaml"], "no-such-spec.yaml"),
    (["answer-sheet", "--out", "/proc/version/sheet.tex"], "cannot write"),
])
def test_cli_errors_are_one_line(capsys, args, message):
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err


# --- the engine's printed answers read back (grader.parse.prescan) ---------------------------------------------------

@pytest.mark.parametrize("text, read", [
    (r"\begin{bmatrix}0 & G_{11}\\G_{21} & 0\end{bmatrix}", "Matrix([[0, G_11], [G_21, 0]])"),  # \\G: a row break
    (r"\begin{bmatrix}1\\x\end{bmatrix}", "Matrix([[1], [x]])"),
])
def test_a_row_break_before_a_letter_is_not_a_command(text, read):
    from grader import parse_answer

    assert str(parse_answer(text)) == read


@pytest.mark.parametrize("text", [r"1 \\\foo", r"\\\\\foo", r"\foo"])
def test_an_unknown_command_after_a_row_break_is_still_refused(text):
    from grader import ParseError, parse_answer

    with pytest.raises(ParseError, match=r"unknown command '\\foo'"):
        parse_answer(text)
