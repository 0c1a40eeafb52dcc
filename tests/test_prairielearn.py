"""grader.prairielearn and ``symconv export prairielearn``: the exported question directory, with its server.py
imported from the directory and called with the data dictionaries PrairieLearn passes (docs/question/server.md):
generate(data) from a variant seed, then grade(data) for right, wrong, unreadable and hostile answers."""

from __future__ import annotations

import copy
import html
import importlib.util
import itertools
import json
import re
import uuid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_answer_sheet import reference_answers  # the engine's answers to every part and field, as students write

import grader.prairielearn as pl
from symconv import derive_solution
from symconv.cli import main
from symconv.errors import SpecError
from symconv.spec import DEFAULT_SPEC, TEMPLATES, load_spec, read_spec_data

HOMEWORK = yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))
# The homework with A and B drawn (the contract's variants: section), independent of the templates' own.
VARIANTS = {**copy.deepcopy(HOMEWORK), "name": "homework-drawn",
            "variants": {"matrices": {"A": {"entries": [0, 5]}, "B": {"entries": [-2, 4], "nonzero": True}}}}
SPECS = {"homework": HOMEWORK, "variants": VARIANTS}
_loaded = itertools.count()


def export(folder: Path, data: dict[str, Any]) -> Any:
    """Write the question directory of ``data`` into ``folder`` and import its server.py from there."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pl.question_files(data).items():
        (folder / name).write_text(text, encoding="utf-8")
    found = importlib.util.spec_from_file_location(f"pl_server_{next(_loaded)}", folder / "server.py")
    assert found is not None and found.loader is not None
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=sorted(SPECS))
def question(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    return request.param, folder, export(folder, SPECS[request.param])


def generated(server: Any, folder: Path, seed: int) -> dict[str, Any]:
    """What PrairieLearn passes to generate(): the variant seed, empty params and correct answers, the options."""
    data = {"variant_seed": seed, "params": {}, "correct_answers": {}, "options": {"question_path": str(folder)}}
    server.generate(data)
    return data


def graded(server: Any, variant: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """What PrairieLearn passes to grade(): the variant's data with the (parsed) submitted answers."""
    data = {**copy.deepcopy(variant), "submitted_answers": dict(answers), "raw_submitted_answers": dict(answers),
            "format_errors": {}, "partial_scores": {}, "score": 0, "feedback": {}}
    server.grade(data)
    return data


def right_answers(folder: Path, params: dict[str, Any]) -> dict[str, str]:
    """Every answer box filled with the engine's answer for this variant, by answers-name."""
    spec = load_spec(pl.question_spec(folder / "spec.json", params))
    by_label = reference_answers(derive_solution(spec))
    return {box.name: by_label[box.part if box.field is None else f"{box.part}/{box.field}"]
            for box in pl.inputs(spec)}


def render(template: str, context: dict[str, Any]) -> str:
    """The Mustache subset question.html uses: comments, sections over lists, escaped variables with dotted names
    (looked up in the section's item, then the root)."""
    template = re.sub(r"\{\{!.*?\}\}", "", template, flags=re.S)

    def lookup(name: str, scopes: list[Any]) -> Any:
        for scope in reversed(scopes):
            value, found = scope, True
            for key in name.split("."):
                if isinstance(value, dict) and key in value:
                    value = value[key]
                else:
                    found = False
                    break
            if found:
                return value
        return ""

    def expand(text: str, scopes: list[Any]) -> str:
        def section(m: re.Match[str]) -> str:
            items = lookup(m.group(1), scopes)
            items = items if isinstance(items, list) else [items] if items else []
            return "".join(expand(m.group(2), [*scopes, item]) for item in items)

        text = re.sub(r"\{\{#([\w.]+)\}\}(.*?)\{\{/\1\}\}", section, text, flags=re.S)
        return re.sub(r"\{\{([\w.]+)\}\}", lambda m: html.escape(str(lookup(m.group(1), scopes))), text)

    return expand(template, [context])


class Page(HTMLParser):
    """Checks that tags nest and close, and collects the answers-name of every input element."""

    VOID = {"br", "hr", "img", "input", "meta", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.names: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag.endswith("-input"):
            self.names.append(dict(attrs)["answers-name"] or "")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"</{tag}> does not close the open tag")


def page(text: str) -> Page:
    parser = Page()
    parser.feed(text)
    parser.close()
    assert not parser.errors and not parser.stack, (parser.errors, parser.stack)
    return parser


# The files.

@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_directory_holds_the_documented_files(name):
    data = SPECS[name]
    files = pl.question_files(data)
    assert sorted(files) == ["info.json", "question.html", "server.py", "spec.json"]
    info = json.loads(files["info.json"])
    assert info["type"] == "v3" and info["title"] == data["assignment"] and info["topic"] == data["course"]
    assert "symconv" in info["tags"]
    assert uuid.UUID(info["uuid"]) == uuid.uuid5(pl.NAMESPACE, data["name"])   # a re-export keeps its identity
    assert info.get("singleVariant", False) is ("variants" not in data)
    assert json.loads(files["spec.json"]) == data


def test_yaml_values_json_cannot_hold_are_written_as_text():
    """YAML reads ``date: 2026-09-01`` as a date; spec.json holds it as the text the loader would make of it."""
    import datetime

    files = pl.question_files({**HOMEWORK, "date": datetime.date(2026, 9, 1)})
    assert json.loads(files["spec.json"])["date"] == "2026-09-01"


def test_the_uuid_follows_the_spec_name_only():
    ids = {json.loads(pl.question_files(d)["info.json"])["uuid"] for d in
           (HOMEWORK, {**HOMEWORK, "course": "Another course"}, {**HOMEWORK, "name": "homework-2"})}
    assert len(ids) == 2


HOSTILE = "<script>alert(1)</script> {{params.title}} {{{feedback}}} \" ' &amp;"


@pytest.mark.parametrize("where", ["name", "assignment", "course", "problem title", "problem text", "part text"])
def test_no_spec_string_reaches_the_template(where):
    """Every spec string goes through params and the escaping double braces: none is in question.html itself,
    where `<` would be markup and `{{` a tag."""
    data = copy.deepcopy(HOMEWORK)
    if where in ("name", "assignment", "course"):
        data[where] = HOSTILE
    elif where == "problem title":
        data["problems"][0]["title"] = HOSTILE
    else:
        target = data["problems"][0] if where == "problem text" else data["problems"][0]["parts"][0]
        target["text"] = HOSTILE
    template = pl.question_files(data)["question.html"]
    assert "<script" not in template and "alert" not in template and "{{{" not in template and "{{&" not in template
    params = pl.question_params(load_spec(data))
    shown = render(template, {"params": params})
    page(shown)
    if where not in ("name", "course"):
        assert html.escape(HOSTILE) in shown


def test_the_template_is_well_formed_and_names_every_answer_once(question):
    _, folder, server = question
    template = (folder / "question.html").read_text(encoding="utf-8")
    page(template)
    data = generated(server, folder, 1)
    found = page(render(template, {"params": data["params"], "feedback": {}}))
    spec = load_spec(pl.question_spec(folder / "spec.json", data["params"]))
    assert found.names == [box.name for box in pl.inputs(spec)]
    assert len(set(found.names)) == len(found.names)
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", n) for n in found.names)


def test_a_drawn_shape_changes_the_boxes_the_page_lists(tmp_path):
    data = copy.deepcopy(VARIANTS)
    data["variants"]["shapes"] = {"A": [[4, 4], [6, 6]]}
    server = export(tmp_path, data)
    template = (tmp_path / "question.html").read_text(encoding="utf-8")
    counts = {len(page(render(template, {"params": generated(server, tmp_path, seed)["params"]})).names)
              for seed in range(12)}
    assert len(counts) == 2


def test_part_ids_that_read_alike_get_distinct_names_and_are_graded_apart():
    data = copy.deepcopy(HOMEWORK)
    size = data["problems"][0]["parts"][0]
    data["problems"] = [{**data["problems"][0], "parts": [{**size, "id": i} for i in ("1.1a", "1-1a", "1_1a")]}]
    spec = load_spec(data)
    names = [box.name for box in pl.inputs(spec)]
    assert names == ["p1_1a", "p1_1a_2", "p1_1a_3"]
    assert pl.submitted(spec, {"p1_1a_2": "3x3"}) == {"1-1a": "3x3"}


def test_prose_latex_becomes_text_and_maths_stays_for_mathjax():
    data = copy.deepcopy(HOMEWORK)
    data["problems"][0]["text"] = r"Name the \texttt{torch.nn} module; $\partial E/\partial A$ is [[A.shape]]."
    text = pl.question_params(load_spec(data))["text"]["q1_1"]
    assert text == r"Name the torch.nn module; $\partial E/\partial A$ is 5×5."   # a placeholder in prose too


# generate(data).

def test_the_same_seed_gives_the_same_variant(question):
    _, folder, server = question
    assert generated(server, folder, 42) == generated(server, folder, 42)


def test_seeds_draw_different_problems_only_with_variants(question):
    name, folder, server = question
    params = [json.dumps(generated(server, folder, seed)["params"], sort_keys=True) for seed in (1, 2, 3)]
    assert len(set(params)) == (3 if name == "variants" else 1)


def test_params_are_json_and_hold_the_variants_matrices(question):
    name, folder, server = question
    data = generated(server, folder, 5)
    assert json.loads(json.dumps(data["params"])) == data["params"]
    spec = load_spec(pl.question_spec(folder / "spec.json", data["params"]))
    shown = [m["latex"] for m in data["params"]["matrices"]]
    assert [s.split(" = ")[0] for s in shown] == list(spec.matrices)
    assert (spec.matrices["A"] == load_spec(HOMEWORK).matrices["A"]) is (name == "homework")
    assert data["correct_answers"] == {}   # pl-string-input would grade by string equality with them


def test_grading_uses_the_problem_generate_stored(tmp_path):
    """A variant is graded as it was drawn even if the spec's draw changes later (a new symconv, edited ranges)."""
    server = export(tmp_path, VARIANTS)
    variant = generated(server, tmp_path, 9)
    answers = right_answers(tmp_path, variant["params"])
    edited = {**VARIANTS, "variants": {"matrices": {"A": {"entries": [6, 9]}}}}
    (tmp_path / "spec.json").write_text(json.dumps(edited), encoding="utf-8")
    assert graded(server, variant, answers)["score"] == pytest.approx(1.0)


# grade(data).

def test_the_right_answers_score_full_marks(question):
    _, folder, server = question
    for seed in (3, 11):
        variant = generated(server, folder, seed)
        data = graded(server, variant, right_answers(folder, variant["params"]))
        assert data["score"] == pytest.approx(1.0), data["feedback"]
        assert all(s["score"] == pytest.approx(1.0) for s in data["partial_scores"].values())
        spec = load_spec(pl.question_spec(folder / "spec.json", variant["params"]))
        assert sorted(data["partial_scores"]) == sorted(pl.part_keys(spec).values())
        assert data["format_errors"] == {}


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_template_exports_and_its_answers_score_full_marks(tmp_path, path):
    data, where, _ = read_spec_data(path)
    folder = tmp_path / path.stem
    folder.mkdir()
    for name, text in pl.question_files(data, where).items():
        (folder / name).write_text(text, encoding="utf-8")
    variant = {"variant_seed": 5, "params": {}, "correct_answers": {}, "options": {"question_path": str(folder)}}
    pl.generate(variant, folder / "spec.json")
    names = page(render((folder / "question.html").read_text(encoding="utf-8"), {"params": variant["params"]})).names
    answers = right_answers(folder, variant["params"])
    assert sorted(names) == sorted(answers)
    data = {**variant, "submitted_answers": answers, "partial_scores": {}, "feedback": {}, "format_errors": {}}
    pl.grade(data, folder / "spec.json")
    assert data["score"] == pytest.approx(1.0), data["feedback"]


def test_every_box_on_the_page_is_graded(tmp_path):
    """Leaving any one box of the rendered page blank costs points: server.py reads every answers-name."""
    server = export(tmp_path, HOMEWORK)
    variant = generated(server, tmp_path, 1)
    names = page(render((tmp_path / "question.html").read_text(encoding="utf-8"), {"params": variant["params"]})).names
    answers = right_answers(tmp_path, variant["params"])
    assert sorted(names) == sorted(answers)
    for name in names:
        assert graded(server, variant, {k: v for k, v in answers.items() if k != name})["score"] < 1.0, name


def test_a_wrong_answer_earns_partial_credit_with_its_diagnosis(tmp_path):
    server = export(tmp_path, HOMEWORK)
    variant = generated(server, tmp_path, 1)
    spec = load_spec(pl.question_spec(tmp_path / "spec.json", variant["params"]))
    from symconv.latex import latex
    from symconv.tasks import task

    transposed = latex(task("convolution").reference(derive_solution(spec)).T)
    answers = {**right_answers(tmp_path, variant["params"]), "p1_1c": transposed, "p1_1a": r"4 \times 4"}
    data = graded(server, variant, answers)
    assert 0 < data["partial_scores"]["p1_1c"]["score"] < 1
    assert "transposed" in data["feedback"]["p1_1c"]
    assert data["partial_scores"]["p1_1a"]["score"] == 0 and "off-by-one" in data["feedback"]["p1_1a"]
    weights, earned = pl.weights(spec), sum(p.points for p in spec.parts if p.id not in ("1.1a", "1.1c"))
    assert weights["1.1c"] == 2 * spec.part("1.1c").points   # the 1.5-point part makes every weight double
    c = data["partial_scores"]["p1_1c"]["score"] * 3
    assert data["score"] == pytest.approx((earned + c) / spec.max_score)
    assert data["feedback"][pl.SUMMARY].startswith(f"{earned + c:g} / {spec.max_score:g}")


UNREADABLE = ["[[1, 2", r"\input{/etc/passwd}", "}{", "\x00", "é" * 50, "[" * 5000, "1" * 200_000]


@pytest.mark.parametrize("answer", UNREADABLE, ids=range(len(UNREADABLE)))
def test_an_unreadable_answer_scores_zero_and_waits_for_a_person(tmp_path_factory, answer):
    folder = tmp_path_factory.mktemp("unreadable")
    server = export(folder, HOMEWORK)
    variant = generated(server, folder, 1)
    data = graded(server, variant, {"p1_1a": "3 x 3", "p1_1c": answer})
    assert data["partial_scores"]["p1_1c"]["score"] == 0
    assert "a person will read" in data["feedback"]["p1_1c"]
    assert "1.1c" in data["feedback"][pl.SUMMARY] and data["format_errors"] == {}
    assert data["partial_scores"]["p1_1a"]["score"] == 1   # the other parts are graded


@pytest.mark.parametrize("value", [None, "", "   ", 17, 2.5, True, {"_type": "ndarray"}, ["x"], {"a": [1, {"b": 2}]}])
def test_any_submitted_value_is_graded_without_raising(tmp_path_factory, value):
    folder = tmp_path_factory.mktemp("values")
    server = export(folder, HOMEWORK)
    variant = generated(server, folder, 1)
    data = graded(server, variant, {"p1_1c": value, "p1_1d__A_11": value, "p1_2a__max": value})
    assert 0 <= data["score"] <= 1 and set(data["partial_scores"]) >= {"p1_1c", "p1_1d", "p1_2a"}


def test_a_fault_in_the_grader_costs_the_submission_nothing_but_its_score(tmp_path, monkeypatch):
    server = export(tmp_path, HOMEWORK)
    variant = generated(server, tmp_path, 1)
    grader = pl.grader_for(pl.question_spec(tmp_path / "spec.json", variant["params"]))

    def broken(submission: Any) -> Any:
        raise ZeroDivisionError("a checker bug")

    monkeypatch.setattr(grader, "grade", broken)
    data = graded(server, variant, {"p1_1a": "3 x 3"})
    assert data["score"] == 0 and "internal error: ZeroDivisionError" in data["feedback"]["p1_1a"]
    assert "A person will read" in data["feedback"][pl.SUMMARY]


@pytest.mark.parametrize(("points", "expected"), [([1, 2, 3], [1, 2, 3]), ([1.5, 3, 0.25], [6, 12, 1]),
                                                  ([0.1, 0.2], [1, 2])])
def test_weights_are_the_points_as_integers(points, expected):
    data = copy.deepcopy(HOMEWORK)
    parts = data["problems"][0]["parts"][:len(points)]
    for part, value in zip(parts, points, strict=True):
        part["points"] = value
    data["problems"] = [{**data["problems"][0], "parts": parts}]
    assert list(pl.weights(load_spec(data)).values()) == expected


# What the export refuses, and the command.

NEVER_DRAWN = {"matrices": {"B": {"entries": [0, 0]}}, "constraints": ["distinct-gradient-rows"]}  # zero kernel


@pytest.mark.parametrize(("change", "message"), [
    ({"grading": {"seed_file": "secret.txt"}}, "grading.seed_file does not travel"),
    ({"variants": NEVER_DRAWN}, "distinct-gradient-rows"),
    ({"convolution": {"input": "A", "kernel": "Q"}}, "convolution.kernel"),
])
def test_the_export_refuses_what_could_not_run_in_prairielearn(change, message):
    data = {**copy.deepcopy(HOMEWORK), **copy.deepcopy(change)}
    with pytest.raises(SpecError, match=message):
        pl.question_files(data)


def test_the_command_writes_the_directory(tmp_path, capsys):
    spec = tmp_path / "hw.yaml"
    spec.write_text(yaml.safe_dump(VARIANTS), encoding="utf-8")
    out = tmp_path / "course" / "questions" / "hw"
    assert main(["export", "prairielearn", str(spec), str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["info.json", "question.html", "server.py", "spec.json"]
    assert (out / "server.py").read_text(encoding="utf-8") == pl.question_files(VARIANTS)["server.py"]
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "code", "error"), [
    (["export", "prairielearn", "no-such-spec.yaml", "out"], 1, "cannot read"),
    (["export"], 2, "choose a format"),
    (["export", "moodle", "a", "b"], 2, "invalid choice"),
    (["export", "prairielearn"], 2, "required"),
])
def test_the_command_fails_in_one_line(tmp_path, monkeypatch, capsys, argv, code, error):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == code
    err = capsys.readouterr().err
    assert error in err and err.count("\n") == 1 and not (tmp_path / "out").exists()
