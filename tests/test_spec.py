"""symconv.spec: loading and validating problem specs (YAML, TOML, JSON, dict), placeholders, one-line errors."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest
import sympy
import yaml
from conftest import HOMEWORK_A, HOMEWORK_B

from symconv import SpecError, load_spec
from symconv.cli import main
from symconv.spec import DEFAULT_SPEC, Spec
from symconv.tasks import TASKS

SMALL = {
    "name": "small",
    "course": "DL",
    "matrices": {"X": [[1, 2, 3], [4, 5, 6], [7, 8, 9]], "K": [[1, 0], [0, -1]]},
    "convolution": {"input": "X", "kernel": "K", "output": "Y", "stride": [1, 2], "padding": 1, "upstream": "symbolic"},
    "pooling": {"input": "Y", "kernel_size": 2, "stride": 1},
    "grading": {"tolerance": {"rel": 0.001, "abs": 0.01}, "rubric": {"output-size-off-by-one": 0.5}},
    "problems": [{"id": "1", "title": "T", "text": "X is $[[X.shape]]$", "parts": [
        {"id": "a", "task": "convolution", "points": 2, "text": "stride [[stride]]"},
        {"id": "b", "task": "max-pool", "points": 1.5}]}],
}
SMALL_TOML = """
name = "small"
course = "DL"

[matrices]
X = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
K = [[1, 0], [0, -1]]

[convolution]
input = "X"
kernel = "K"
output = "Y"
stride = [1, 2]
padding = 1
upstream = "symbolic"

[pooling]
input = "Y"
kernel_size = 2
stride = 1

[grading.tolerance]
rel = 0.001
abs = 0.01

[grading.rubric]
output-size-off-by-one = 0.5

[[problems]]
id = "1"
title = "T"
text = "X is $[[X.shape]]$"

[[problems.parts]]
id = "a"
task = "convolution"
points = 2
text = "stride [[stride]]"

[[problems.parts]]
id = "b"
task = "max-pool"
points = 1.5
"""


def spec_error(source) -> SpecError:
    with pytest.raises(SpecError) as err:
        load_spec(source)
    message = str(err.value)
    assert "\n" not in message and message.strip() == message
    return err.value


def edited(**changes) -> dict:
    data = copy.deepcopy(SMALL)
    for path, value in changes.items():
        *parents, name = path.split("__")
        key: str | int = int(name) if name.isdigit() else name
        target = data
        for p in parents:
            target = target[p] if not p.isdigit() else target[int(p)]
        if value is ...:
            del target[key]
        else:
            target[key] = value
    return data


# --- the built-in homework ----------------------------------------------------------------------------------------

def test_builtin_homework():
    spec = load_spec()
    assert spec.name == "homework" and spec.source == str(DEFAULT_SPEC)
    assert spec.matrices["A"] == sympy.Matrix(HOMEWORK_A)
    assert spec.matrices["B"] == sympy.Matrix(HOMEWORK_B)
    c = spec.convolution
    assert (c.input, c.kernel, c.output, c.stride, c.padding, c.dilation, c.upstream) == (
        "A", "B", "C", (1, 1), (0, 0), (1, 1), "ones")
    assert spec.pooling is not None and spec.pooling.input == "C"
    assert (spec.pooling.kernel_size, spec.pooling.stride, spec.pooling.padding) == ((2, 2), (1, 1), (0, 0))
    assert [p.id for p in spec.problems] == ["1.1", "1.2"]
    assert all(part.task in TASKS for part in spec.parts)
    assert len({part.id for part in spec.parts}) == len(spec.parts)
    assert spec.max_score == sum(part.points for part in spec.parts) > 0
    assert all(0 <= cost <= 1 for cost in spec.rubric.values())
    assert spec.part("1.1c").task == "convolution"
    assert load_spec(spec) is spec
    assert load_spec(DEFAULT_SPEC) == spec


def test_unknown_part():
    with pytest.raises(SpecError):
        load_spec().part("9.9")


def test_every_homework_text_fills():
    spec = load_spec()
    for text in [p.text for p in spec.problems] + [p.text for p in spec.parts]:
        assert "[[" not in spec.fill(text)


# --- formats ------------------------------------------------------------------------------------------------------

def same_spec(a: Spec, b: Spec) -> None:
    assert dataclasses.replace(a, source="") == dataclasses.replace(b, source="")


def test_yaml_toml_json_and_dict_load_the_same(tmp_path):
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(SMALL), encoding="utf-8")
    (tmp_path / "s.yml").write_text(yaml.safe_dump(SMALL), encoding="utf-8")
    (tmp_path / "s.json").write_text(json.dumps(SMALL), encoding="utf-8")
    (tmp_path / "s.toml").write_text(SMALL_TOML, encoding="utf-8")
    from_dict = load_spec(SMALL)
    for name in ("s.yaml", "s.yml", "s.json", "s.toml"):
        spec = load_spec(tmp_path / name)
        assert spec.source == str(tmp_path / name)
        same_spec(spec, from_dict)
    assert from_dict.convolution.stride == (1, 2) and from_dict.convolution.padding == (1, 1)
    assert from_dict.convolution.upstream == "symbolic"
    assert from_dict.tolerance == (0.001, 0.01) and from_dict.rubric == {"output-size-off-by-one": 0.5}
    assert from_dict.parts[1].points == 1.5 and from_dict.max_score == 3.5


def test_homework_as_json_loads_the_same(tmp_path):
    data = yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))
    (tmp_path / "hw.json").write_text(json.dumps(data), encoding="utf-8")
    same_spec(load_spec(tmp_path / "hw.json"), load_spec())
    same_spec(load_spec(data), load_spec())


def test_defaults():
    data = edited(convolution__stride=..., convolution__padding=..., convolution__upstream=..., grading=...,
                  pooling__stride=...)
    spec = load_spec(data)
    assert spec.convolution.stride == (1, 1) and spec.convolution.upstream == "ones"
    assert spec.pooling.stride == spec.pooling.kernel_size == (2, 2)   # stride defaults to the kernel size
    assert spec.tolerance == (1e-6, 1e-9) and spec.rubric == {}
    without = edited(pooling=...)
    assert "(max-pool) needs a pooling section" in str(spec_error(without))   # a task's needs, checked at load
    without["problems"][0]["parts"] = [p for p in without["problems"][0]["parts"] if p["task"] != "max-pool"]
    assert load_spec(without).pooling is None


# --- errors -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["name", "problems"])
def test_missing_top_level_key(key):
    assert repr(key) in str(spec_error(edited(**{key: ...})))


@pytest.mark.parametrize(("keys", "needle"), [
    (["convolution", "pooling"], "part a (convolution) needs a convolution section"),   # optional, unless needed
    (["convolution"], "pooling.input 'Y' is neither a convolution output nor one of the matrices (X, K)"),
    (["matrices"], "convolution.input must name one of the matrices"),
])
def test_an_optional_section_a_part_needs(keys, needle):
    assert needle in str(spec_error(edited(**dict.fromkeys(keys, ...))))


@pytest.mark.parametrize(("changes", "needle"), [
    ({"problems__0__parts__0__task": ...}, "'task'"),
    ({"problems__0__parts__0__points": ...}, "'points'"),
    ({"problems__0__parts__0__id": ...}, "'id'"),
    ({"problems__0__parts": ...}, "'parts'"),
    ({"pooling__kernel_size": ...}, "'kernel_size'"),
])
def test_missing_nested_key(changes, needle):
    message = str(spec_error(edited(**changes)))
    assert needle in message


@pytest.mark.parametrize(("changes", "needle"), [
    ({"problems__0__parts__0__task": "fourier-transform"}, "unknown task `fourier-transform`"),
    ({"matrices__X": [[1, 2, 3], [4, 5]]}, "matrices.X"),                   # ragged
    ({"matrices__X": [1, 2, 3]}, "matrices.X"),                             # not 2-D
    ({"matrices__X": [["a+b", "b"]]}, "matrices.X: entry (1, 1)"),          # strings are never sympified
    ({"convolution__stride": 0}, "convolution.stride"),
    ({"convolution__stride": [1, 0]}, "convolution.stride"),
    ({"convolution__stride": "2"}, "convolution.stride"),
    ({"convolution__padding": -1}, "convolution.padding"),
    ({"convolution__dilation": 0}, "convolution.dilation"),
    ({"convolution__input": "Q"}, "convolution.input"),
    ({"convolution__kernel": "Q"}, "convolution.kernel"),
    ({"convolution__upstream": "zeros"}, "convolution.upstream"),
    ({"pooling__stride": 0}, "pooling.stride"),
    ({"pooling__kernel_size": 0}, "pooling.kernel_size"),
    ({"problems__0__parts__1__id": "a"}, "part ids must be unique"),
    ({"problems__0__parts__0__points": -1}, "points"),
    ({"problems__0__parts__0__points": "two"}, "'points'"),
    ({"grading__rubric__output-size-off-by-one": 1.5}, "grading.rubric.output-size-off-by-one"),
    ({"matrices": [[1]]}, "'matrices'"),
    ({"problems": {"id": 1}}, "'problems'"),
    ({"name": 3}, "'name'"),
])
def test_bad_values(changes, needle):
    assert needle in str(spec_error(edited(**changes)))


def test_duplicate_ids_across_problems():
    data = edited()
    data["problems"].append(copy.deepcopy(data["problems"][0]))
    assert "unique" in str(spec_error(data))


@pytest.mark.parametrize(("name", "text", "needle"), [
    ("list.yaml", "- 1\n- 2\n", "mapping"),
    ("scalar.yaml", "just text\n", "mapping"),
    ("empty.yaml", "", "mapping"),
    ("bad.yaml", "name: [unclosed\n", "not valid YAML"),
    ("bad.yaml", "a: b: c\n", "not valid YAML"),
    ("bad.json", "{\"name\": ", "not valid json"),
    ("bad.toml", "name = \n", "not valid toml"),
])
def test_bad_files(tmp_path, name, text, needle):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    error = spec_error(path)
    assert needle.lower() in str(error).lower() and error.where == str(path)


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    assert "not valid" in str(spec_error(path))


def test_unreadable_paths(tmp_path):
    assert "cannot read" in str(spec_error(tmp_path / "missing.yaml"))
    assert "cannot read" in str(spec_error(tmp_path))          # a directory
    assert "cannot read" in str(spec_error(str(tmp_path / "missing.json")))


# --- placeholders -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "filled"), [
    ("[[A.shape]]", r"5\times 5"),
    ("[[B.shape]]", r"3\times 3"),
    ("s=[[stride]] p=[[padding]] d=[[dilation]]", "s=1 p=0 d=1"),
    ("[[ stride ]]", "1"),
    ("[[pool.kernel_size]], [[pool.stride]], [[pool.padding]]", r"2\times 2, 1, 0"),
    ("no placeholders", "no placeholders"),
    ("[single] brackets", "[single] brackets"),
])
def test_fill_homework(text, filled):
    assert load_spec().fill(text) == filled


def test_fill_pairs_and_other_names():
    spec = load_spec(SMALL)
    assert spec.fill("[[X.shape]] [[K.shape]] [[stride]] [[padding]]") == r"3\times 3 2\times 2 (1, 2) 1"
    assert spec.fill(spec.problems[0].text) == r"X is $3\times 3$"


@pytest.mark.parametrize("text", ["[[C.shape]]", "[[stride.x]]", "[[__import__('os')]]", "[[A.shape]] [[nope]]"])
def test_unknown_placeholder(text):
    with pytest.raises(SpecError) as err:
        load_spec().fill(text)
    assert "unknown placeholder" in str(err.value) and "\n" not in str(err.value)


def test_pool_placeholders_need_a_pooling_section():
    with pytest.raises(SpecError):
        load_spec(edited(pooling=...)).fill("[[pool.stride]]")


@pytest.mark.parametrize("where, value", [
    (("convolution", "output"), r"\input{/etc/passwd}"),
    (("pooling", "input"), "C_1"),
])
def test_names_that_reach_latex_must_be_letters(where, value):
    data = yaml.safe_load(DEFAULT_SPEC.read_text())
    data[where[0]][where[1]] = value
    with pytest.raises(SpecError, match="letters only"):
        load_spec(data)


def test_matrix_keys_must_be_letters():
    data = yaml.safe_load(DEFAULT_SPEC.read_text())
    data["matrices"]["A$"] = data["matrices"]["A"]
    with pytest.raises(SpecError, match="letters only"):
        load_spec(data)


# --- sizes: a kernel or a pooling window larger than its padded input is the spec's error (issue 15) -------------

@pytest.mark.parametrize(("changes", "needles"), [
    ({"matrices__K": [[1] * 6] * 6}, ["convolution: kernel K (6x6) over input X (3x3)", "padded input i+2p = 5"]),
    ({"matrices__K": [[1] * 6]}, ["kernel K (1x6)", "padded input i+2p = 5"]),
    ({"convolution__dilation": 5}, ["dilation 5", "effective kernel d*(k-1)+1 = 6"]),
    ({"pooling__kernel_size": 3}, ["pooling: window 3x3 over its input Y (4x2) with padding 0"]),
    ({"pooling__kernel_size": [5, 1]}, ["pooling: window 5x1 over its input Y (4x2)"]),
    ({"pooling__input": "X", "pooling__kernel_size": 4}, ["pooling: window 4x4 over its input X (3x3)"]),
    ({"pooling__kernel_size": 2, "pooling__padding": 2}, ["pooling", "padding: must be at most half"]),
    ({"pooling__input": "Z"}, ["pooling.input 'Z' is neither the convolution output Y nor one of the matrices"]),
])
def test_kernel_or_window_larger_than_padded_input_is_a_one_line_spec_error(tmp_path, changes, needles):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(edited(**changes)), encoding="utf-8")
    error = spec_error(path)
    assert str(error).startswith(f"{path}: ") and error.where == str(path)
    for needle in needles:
        assert needle in str(error)


@pytest.mark.parametrize("changes", [
    {"matrices__K": [[1] * 5] * 5, "pooling": ..., "problems__0__parts__1": ...},   # fits exactly: padding 1
    {"convolution__dilation": 4, "pooling": ..., "problems__0__parts__1": ...},     # effective 5 = padded 5
    {"pooling__kernel_size": [4, 2]},                       # the whole 4x2 output
    {"pooling__kernel_size": 3, "pooling__padding": 1},     # 2 + 2*1 = 4 >= 3
    {"pooling__input": "X", "pooling__kernel_size": 3},
])
def test_kernels_that_just_fit_load(changes):
    load_spec(edited(**changes))


def _too_big(tmp_path):
    data = edited(**{"matrices__K": [[1] * 6] * 6})
    path = tmp_path / "too-big.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    sub = tmp_path / "ada.json"
    sub.write_text(json.dumps({"student": "ada", "answers": {"a": "1"}}), encoding="utf-8")
    return path, sub


def test_grade_reports_a_bad_spec_once_as_a_spec_error(tmp_path, capsys):
    """Before: "internal error while grading" for every student. Now: one line naming the spec, exit 1."""
    path, sub = _too_big(tmp_path)
    other = tmp_path / "bob.json"
    other.write_text(json.dumps({"student": "bob", "answers": {}}), encoding="utf-8")
    assert main(["grade", "--spec", str(path), "--jobs", "1", str(sub), str(other)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {path}: convolution: kernel K (6x6)")
    assert "internal error" not in err


# A spec the loader accepts but the engine cannot serve: lp-limits proofs over 6x6 = 36-entry windows (at most 32).
WIDE_WINDOWS = {**copy.deepcopy(SMALL), "matrices": {"X": [[(i * j) % 5 + 1 for j in range(8)] for i in range(8)],
                                                     "K": [[1, 2], [3, 1]]},
                "convolution": {"input": "X", "kernel": "K", "output": "Y"},  # Y is 7x7
                "pooling": {"input": "Y", "kernel_size": 6, "stride": 1},
                "problems": [{"id": "1", "parts": [{"id": "d", "task": "lp-limits", "points": 1}]}]}


def test_warm_up_raises_engine_errors_once_as_spec_errors():
    from grader.batch import grade_batch
    from grader.checkers.reference import Reference

    spec = load_spec(WIDE_WINDOWS)
    with pytest.raises(SpecError, match=r"^<spec>: part d \(lp-limits\): n: must be an integer from 1 to 32"):
        Reference(spec).warm()
    with pytest.raises(SpecError, match="part d"):  # not swallowed by the batch's warm-up
        grade_batch(["never-read.json"], spec, jobs=1)
