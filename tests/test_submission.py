"""grader.submission: the same submission in every format, and every refusal as one line naming the file."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from grader.submission import (
    MAX_ANSWER_CHARS,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    SubmissionError,
    load_submission,
    match_parts,
    part_key,
    read_answer_sheet,
    safe_id,
    unknown_parts_note,
)
from symconv import derive_solution, entry_symbol, load_spec
from symconv.document.answer_sheet import answer_sheet
from symconv.latex import latex

ROOT = Path(__file__).resolve().parent.parent
SHEET = answer_sheet(load_spec(None))   # the homework's generated answer sheet (symconv answer-sheet)
ANSWERS = {"1.1a": "3 \\times 3", "1.1c": [[1, 2], [3, 4]], "1.2a": {"max": "nn.MaxPool2d", "avg": "x"}}

FORMATS = {
    "yaml": 'student: ada\nanswers:\n  "1.1a": 3 \\times 3\n  "1.1c": [[1, 2], [3, 4]]\n'
            '  "1.2a": {max: nn.MaxPool2d, avg: x}\n',
    "yml": 'student: ada\nanswers:\n  "1.1a": "3 \\\\times 3"\n  "1.1c":\n    - [1, 2]\n    - [3, 4]\n'
           '  "1.2a":\n    max: nn.MaxPool2d\n    avg: x\n',
    "json": json.dumps({"student": "ada", "answers": ANSWERS}),
    "toml": 'student = "ada"\n[answers]\n"1.1a" = \'3 \\times 3\'\n"1.1c" = [[1, 2], [3, 4]]\n'
            '"1.2a" = { max = "nn.MaxPool2d", avg = "x" }\n',
}


@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_every_format_reads_the_same(tmp_path, suffix):
    path = tmp_path / f"file.{suffix}"
    path.write_text(FORMATS[suffix])
    sub = load_submission(path)
    assert (sub.student, sub.answers, sub.source) == ("ada", ANSWERS, f"file.{suffix}")


def test_student_defaults_to_the_safe_file_stem(tmp_path):
    path = tmp_path / "Grace Hopper.json"
    path.write_text('{"answers": {}}')
    assert load_submission(path).student == "Grace_Hopper"


@pytest.mark.parametrize("raw, safe", [
    ("ada", "ada"), ("ada.lovelace@uni.edu", "ada.lovelace@uni.edu"), ("../../etc/passwd", "_.._etc_passwd"),
    (".hidden", "hidden"), ("-rf", "rf"), ("a/b\\c", "a_b_c"), ("é", "student"),
    ("x" * 100, "x" * 64), ("", "student"), ("\\immediate\\write18{rm}", "_immediate_write18_rm_"),
])
def test_safe_id(raw, safe):
    assert safe_id(raw) == safe


def test_student_id_from_the_file_is_made_safe(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"student": "../x y", "answers": {}}))
    assert load_submission(path).student == "_x_y"
    path.write_text(json.dumps({"student": 12345, "answers": {}}))
    assert load_submission(path).student == "12345"


@pytest.mark.parametrize("name, content, problem", [
    ("a.yaml", "", "empty file"),
    ("a.yaml", " \n\t\n", "empty file"),
    ("a.json", "[1, 2]", "the top level must be a mapping with 'answers', got a list"),
    ("a.yaml", "just text", "the top level must be a mapping with 'answers', got a string"),
    ("a.yaml", "answers: [1, 2]", "the top level must be a mapping with 'answers', got a mapping without"),
    ("a.yaml", "answers: {}\nname: ada", "unknown top-level key 'name'"),
    ("a.yaml", "answers:\n  1.1: 3", "part id 1.1 is a number; quote it"),
    ("a.yaml", "answers:\n  '1.2a': {1: x}", "answer to 1.2a: key 1 is a number"),
    ("a.yaml", "answers:\n  '1.1a': yes", "answer to 1.1a: true/false is not an answer"),
    ("a.yaml", "answers:\n  '1.1a': 2024-01-01", "answer to 1.1a: a date is not an answer"),
    ("a.yaml", "student: [1]\nanswers: {}", "'student' must be a string"),
    ("a.yaml", "answers: {a: [unclosed", "not valid YAML"),
    ("a.json", '{"answers": {', "not valid JSON"),
    ("a.toml", "answers = [", "not valid TOML"),
    ("a.docx", "answers: {}", "unsupported file type '.docx'"),   # .txt is a write-up now (grader.writeup)
    ("a", "answers: {}", "unsupported file type '(none)'"),
    ("a.tex", r"\answer{1.1a}{\frac{1}{2}", r"unbalanced braces in \answer{1.1a} at line 1"),
    ("a.tex", r"\answer{1.1a}{1} \answer{1.1a}{2}", "the answer to 1.1a is given twice"),
    ("a.tex", r"\answer{1.1a} no body", r"\answer{1.1a} at line 1 has no second {...} argument"),
])
def test_refusals_are_one_line_naming_the_file(tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(SubmissionError) as info:
        load_submission(path)
    message = str(info.value)
    assert message.startswith(f"{name}: ") and problem in message and "\n" not in message


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(SubmissionError, match="cannot read the file"):
        load_submission(tmp_path / "nobody.yaml")
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(SubmissionError, match="not a regular file"):
        load_submission(tmp_path / "dir.yaml")


def test_caps_are_applied(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"answers": {"1.1a": "x" * (MAX_ANSWER_CHARS + 1)}}))
    with pytest.raises(SubmissionError, match="answer to 1.1a is too long"):
        load_submission(path)
    path.write_text(json.dumps({"answers": {"1.1c": [0] * (MAX_NODES + 1)}}))
    with pytest.raises(SubmissionError, match="too many values"):
        load_submission(path)
    deep: object = 1
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    path.write_text(json.dumps({"answers": {"1.1c": deep}}))
    with pytest.raises(SubmissionError, match="nested too deeply"):
        load_submission(path)
    path.write_text(" " * (MAX_FILE_BYTES + 1))
    with pytest.raises(SubmissionError, match="file too large"):
        load_submission(path)


def test_answers_within_caps_pass(tmp_path):
    path = tmp_path / "ok.json"
    matrix = [[i * 50 + j for j in range(50)] for i in range(50)]
    path.write_text(json.dumps({"answers": {"1.1c": matrix, "1.1b": "x" * MAX_ANSWER_CHARS}}))
    assert load_submission(path).answers["1.1c"] == matrix


def test_answer_sheet_scanner():
    text = "\n".join([
        r"\newcommand{\answer}[2]{#2}  % the definition is not an answer",
        r"\student{ ada }",
        r"\answer{1.1a}{3 \times 3} % 4 x 4? no",
        r"\answer {1.1c} {\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}}",
        r"\answer{1.1b}{\{ 50\% \} \frac{I-K}{S}+1}",
        r"% \answer{1.2c}{commented out}",
        r"\answer{1.1d/A_{11}}{B_{11}}",
        r"\answer{1.1d/A_{12}}{}",
        r"\answer{1.2a/max}{}",
        r"\\answer{not}{a macro: the backslash is escaped}",
        r"\answerx{1.2c}{another macro}",
    ])
    student, answers = read_answer_sheet(text)
    assert student == "ada"
    assert answers == {
        "1.1a": r"3 \times 3",
        "1.1c": r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}",
        "1.1b": r"\{ 50\% \} \frac{I-K}{S}+1",
        "1.1d": {"A_{11}": "B_{11}"},
    }


def _template_labels() -> list[str]:
    import re
    return re.findall(r"^\\answer\{([^}]*(?:\{[^}]*\})?)\}\{\}", SHEET, flags=re.M)


def test_template_has_one_answer_per_part_of_the_homework():
    parts = [p.id for p in load_spec(None).parts]
    labels = _template_labels()
    assert sorted({label.split("/")[0] for label in labels}) == sorted(parts)
    assert read_answer_sheet(SHEET) == ("", {})  # an empty sheet has no answers


def _filled_sheet() -> tuple[str, dict]:
    """The template with every answer filled in: numbers from the engine's reference, words as a student writes."""
    sol = derive_solution(load_spec(None))
    i, j = sol.output_shape
    fills = {
        "1.1a": rf"{i} \times {j}",
        "1.1b": latex(sol.output_size_formula),
        "1.1c": latex(sol.output),
        "1.1d-matrix": latex(sol.grad_input),
        "1.2c": latex(sol.pooled_max),
        "1.2b/max": r"\max_{(p,q) \in S_{ij}} x_{pq}",
        "1.2b/avg": r"\frac{1}{|S_{ij}|} \sum_{(p,q) \in S_{ij}} x_{pq}",
        "1.2b/lp": r"\left( \sum_{(p,q) \in S_{ij}} x_{pq}^p \right)^{1/p}",
        "1.2d/max": r"p \to \infty",
        "1.2d/avg": "p = 1",
        **{f"1.2a/{k}": v for k, v in sol.pool_modules.items()},
        **{f"1.1d/{latex(entry_symbol('A', r, c))}": latex(rule.total) for (r, c), rule in sol.chain.items()},
    }
    text = SHEET
    for label, value in fills.items():
        assert f"\\answer{{{label}}}{{}}" in text, label
        text = text.replace(f"\\answer{{{label}}}{{}}", f"\\answer{{{label}}}{{{value}}}")
    text = text.replace(r"\student{}", r"\student{ada}")
    return text, fills


def test_filled_template_extracts():
    text, fills = _filled_sheet()
    student, answers = read_answer_sheet(text)
    assert student == "ada"
    for label, value in fills.items():
        part, _, key = label.partition("/")
        assert (answers[part][key] if key else answers[part]) == value


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("filled", [False, True])
def test_template_compiles(tmp_path, filled):
    text = _filled_sheet()[0] if filled else SHEET
    (tmp_path / "sheet.tex").write_text(text)
    run = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "sheet.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "sheet.pdf").stat().st_size > 1000
    if filled:
        pdf_text = subprocess.run(["pdftotext", "sheet.pdf", "-"], cwd=tmp_path, capture_output=True,
                                  text=True).stdout
        assert "1.1d/A_{24}" in pdf_text and "ada" in pdf_text


# --- part ids as people type them ---------------------------------------------------------------------------------

HOMEWORK_IDS = [p.id for p in load_spec(None).parts]


@pytest.mark.parametrize("typed, part", [
    ("1.1c", "1.1c"), ("1.1A", "1.1a"), ('"1.1 c"', "1.1c"), ("1.1(c)", "1.1c"), ("Q1.1c", "1.1c"),
    ("1.1.c", "1.1c"), ("Problem 1.1 (c)", "1.1c"), ("1.1c)", "1.1c"), ("question 1.2 d", "1.2d"),
    ("１.１ｃ", "1.1c"),  # full-width, as some keyboards type it
    ("1.1d-matrix", "1.1d-matrix"), ("1.1d matrix", "1.1d-matrix"), ("1.1 (d) Matrix", "1.1d-matrix"),
    ("1.1d", "1.1d"), ("Ex. 1.2b:", "1.2b"),
])
def test_part_ids_match_the_way_people_type_them(typed, part):
    assert match_parts({typed: "x"}, HOMEWORK_IDS).answers == {part: "x"}


@pytest.mark.parametrize("typed", ["1.3a", "1.1", "1.1e", "2.1a", "c", "q", "1.1dd", "11c", "1.1cmatrix"])
def test_ids_that_name_no_part_are_unknown_not_guessed(typed):
    m = match_parts({typed: "x"}, HOMEWORK_IDS)
    assert m.answers == {} and m.unknown == [typed]


def test_an_exact_id_wins_over_a_loose_one_and_the_choice_is_noted():
    m = match_parts({"1.1 C": "loose", "1.1c": "exact", "Q1.1a": "first", "1.1(a)": "second"}, HOMEWORK_IDS)
    assert m.answers == {"1.1c": "exact", "1.1a": "first"}
    assert m.notes == ["two answers for 1.1c ('1.1 C' and '1.1c'); the one written '1.1c' was graded",
                       "two answers for 1.1a ('Q1.1a' and '1.1(a)'); the one written 'Q1.1a' was graded"]


@pytest.mark.parametrize("unknown, note", [
    (["1.1cc"], "answers for unknown parts: '1.1cc'; did you mean 1.1c?"),
    (["Q1.1d-matrixx", "1.1cc"], "answers for unknown parts: 'Q1.1d-matrixx', '1.1cc'; did you mean 1.1d-matrix, "
                                 "1.1c?"),
    (["bonus"], "answers for unknown parts: 'bonus'; the parts are " + ", ".join(HOMEWORK_IDS)),
])
def test_unknown_parts_note_suggests_the_closest(unknown, note):
    assert unknown_parts_note(unknown, HOMEWORK_IDS) == note


def test_part_key_is_one_rule():
    assert {part_key(t) for t in ("1.1c", "1.1C", "Q1.1c", "1.1 (c)", "Problem 1.1 (c)")} == {"1.1c"}


def test_the_answer_sheet_is_matched_by_the_same_rule(tmp_path):
    from grader.grading import grade

    sheet = tmp_path / "ada.tex"
    sheet.write_text(r"\student{ada} \answer{1.1 (A)}{3 \times 3} \answer{Q1.2d/max}{p \to \infty} "
                     r"\answer{1.3}{42}")
    result = grade(None, sheet)
    by_part = {p.part: p for p in result.parts}
    assert by_part["1.1a"].score == 1.0 and by_part["1.2d"].status != "missing"
    assert result.notes == [unknown_parts_note(["1.3"], HOMEWORK_IDS)]


@pytest.mark.parametrize("answers", [{"1.3a": "3x3"}, {"bonus": "x", "2.1": "y"}])
def test_a_file_with_no_answer_for_any_part_is_an_error_not_a_zero(answers):
    from grader.grading import grade

    result = grade(None, {"student": "zed", "answers": answers})
    assert result.status == "error" and "none of the answers is for a part of this spec" in result.error
    assert "\n" not in result.error and len(result.parts) == len(HOMEWORK_IDS)


def test_an_empty_answers_mapping_is_graded_as_all_missing():
    from grader.grading import grade

    result = grade(None, {"student": "zed", "answers": {}})
    assert result.status == "ok" and {p.status for p in result.parts} == {"missing"}


def test_unknown_parts_reach_the_feedback_and_the_summary(tmp_path):
    from grader.batch import Graded
    from grader.grading import grade
    from grader.outputs import feedback_md, summary_md

    result = grade(None, {"student": "ada", "answers": {"1.1a": "3x3", "1.1cc": "x"}})
    assert result.status == "ok" and result.notes == ["answers for unknown parts: '1.1cc'; did you mean 1.1c?"]
    assert "Note: answers for unknown parts: '1.1cc'; did you mean 1.1c?" in feedback_md(result)
    assert "| ada | answers for unknown parts: '1.1cc'; did you mean 1.1c? |" in summary_md([Graded("a", result)],
                                                                                            load_spec(None))


# --- YAML: libyaml's events checked first, the guarded pure-Python loader without libyaml ---------------------------

def _deep_yaml(levels: int) -> str:
    return "answers:\n  '1.1c': " + "[" * levels + "1" + "]" * levels + "\n"


@pytest.mark.parametrize("libyaml", [True, False])
@pytest.mark.parametrize("content, problem", [
    ("a: &x [1, 2]\nanswers: {'1.1c': *x}\n", "YAML aliases (*name) are not allowed"),
    ("answers:\n  '1.1c': [" + ", ".join(["0"] * (MAX_NODES + 1)) + "]\n", "too many values"),
    (_deep_yaml(MAX_DEPTH + 1), "nested too deeply"),
    (_deep_yaml(5000), "nested too deeply"),  # beyond libyaml's own cap: the same refusal
])
def test_yaml_bombs_are_refused_by_either_loader(tmp_path, monkeypatch, libyaml, content, problem):
    import yaml

    if not libyaml:
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    elif getattr(yaml, "CSafeLoader", None) is None:
        pytest.skip("PyYAML without libyaml")
    path = tmp_path / "bomb.yaml"
    path.write_text(content)
    with pytest.raises(SubmissionError) as info:
        load_submission(path)
    assert str(info.value).startswith("bomb.yaml: ") and problem in str(info.value)


@pytest.mark.parametrize("libyaml", [True, False])
def test_yaml_within_the_caps_reads_the_same_with_either_loader(tmp_path, monkeypatch, libyaml):
    import yaml

    if not libyaml:
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    path = tmp_path / "ok.yaml"
    path.write_text(FORMATS["yaml"] + "  '1.1d': " + "[" * (MAX_DEPTH - 2) + "1" + "]" * (MAX_DEPTH - 2) + "\n")
    assert load_submission(path).answers["1.1a"] == "3 \\times 3"


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_the_filled_example_sheet_compiles_within_the_page_and_scores_full_marks(tmp_path):
    """examples/submissions/answer-sheet.tex: long chain-rule answers are broken into rows, so the sheet a student
    would hand in has no overfull line, and it grades to full marks."""
    from grader.grading import grade

    example = ROOT / "examples" / "submissions" / "answer-sheet.tex"
    shutil.copy(example, tmp_path / "sheet.tex")
    run = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "sheet.tex"],
                         cwd=tmp_path, capture_output=True, timeout=300)
    assert run.returncode == 0
    log = (tmp_path / "sheet.log").read_text(errors="replace")
    assert "Overfull" not in log and "Underfull" not in log
    result = grade(None, example)
    assert (result.score, result.max_score, result.diagnoses) == (21.5, 21.5, [])
