"""Spec validation (issue 12): misspelt keys, tasks and rubric codes are one-line errors naming the file, the line
(YAML) or the key path (JSON, TOML, dicts) and the nearest valid name; YAML syntax errors give the line; the CLI
exits 1 with that one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_spec import SMALL, SMALL_TOML

from grader.diagnose import CODES
from grader.grading import Grader
from symconv import SpecError, load_spec
from symconv.cli import main
from symconv.spec import DEFAULT_SPEC, KEYS, TEMPLATES
from symconv.tasks import TASKS

HOMEWORK = DEFAULT_SPEC.read_text(encoding="utf-8")
SUBMISSION = Path(__file__).resolve().parent.parent / "examples" / "submissions" / "perfect-plain.yaml"

# (what the homework says, the misspelling, the name the error suggests): one row per level of the spec
MISSPELLINGS = [
    ("course: Intro", "cours: Intro", "course"),                                    # top-level key
    ("  stride: 1\n  padding: 0\n  dilation", "  strides: 1\n  padding: 0\n  dilation", "stride"),   # convolution
    ("  kernel_size: 2", "  kernel_sise: 2", "kernel_size"),                          # pooling key
    ("  rubric:", "  rubrik:", "rubric"),                                             # grading key
    ("tolerance: {rel:", "tolerance: {rell:", "rel"),                                 # grading.tolerance key
    ("    title: Pooling", "    titel: Pooling", "title"),                            # problem key
    ("        points: 5", "        point: 5", "points"),                              # part key
    ("        task: convolution", "        task: convolutoin", "convolution"),         # task
    ("        task: max-pool", "        task: Max-Pool", "max-pool"),                  # task, case aside
]


def misspelt(tmp_path: Path, old: str, new: str, name: str = "bad.yaml") -> tuple[Path, int]:
    """The homework with ``old`` replaced by ``new`` (once), and the line the replacement starts on."""
    assert HOMEWORK.count(old) == 1, old   # the table names one place, or the line below is not the one meant
    path = tmp_path / name
    path.write_text(HOMEWORK.replace(old, new), encoding="utf-8")
    return path, HOMEWORK[:HOMEWORK.index(old)].count("\n") + 1


def one_line(err: pytest.ExceptionInfo[SpecError]) -> str:
    message = str(err.value)
    assert "\n" not in message and message == message.strip()
    return message


@pytest.mark.parametrize(("old", "new", "suggestion"), MISSPELLINGS)
def test_a_misspelling_names_the_file_the_line_and_the_nearest_name(tmp_path, old, new, suggestion):
    path, line = misspelt(tmp_path, old, new)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    message = one_line(err)
    assert message.startswith(f"{path}: line {line}: ") and f"did you mean `{suggestion}`?" in message


def test_a_misspelt_rubric_code_is_caught_where_the_grader_meets_the_spec(tmp_path):
    path, line = misspelt(tmp_path, "    flipped-kernel: 0.5", "    flipped-kernal: 0.5")
    load_spec(path)   # the engine does not know the diagnosis codes ...
    with pytest.raises(SpecError) as err:
        Grader(path)   # ... the grader does: a misspelt code would silently cost its mistakes all their points
    assert one_line(err).startswith(f"{path}: line {line}: grading.rubric: unknown rubric code `flipped-kernal`")
    assert "did you mean `flipped-kernel`?" in str(err.value)


def test_a_name_far_from_every_known_one_lists_the_known_names(tmp_path):
    path, _ = misspelt(tmp_path, "  stride: 1\n  padding: 0\n  dilation", "  zzz: 1\n  padding: 0\n  dilation")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert f"known: {', '.join(sorted(KEYS['convolution']))}" in one_line(err)


@pytest.mark.parametrize(("old", "new", "line"), [
    ("  stride: 1\n  padding: 0\n  dilation", "  stride: 2\n  stride: 1\n  padding: 0\n  dilation", 1),
    ("name: homework", "name: homework\nname: other", 1),
])
def test_a_key_given_twice_is_an_error_not_the_last_one_silently(tmp_path, old, new, line):
    path, first = misspelt(tmp_path, old, new)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert one_line(err).startswith(f"{path}: line {first + line}: ") and "given twice" in str(err.value)


@pytest.mark.parametrize(("text", "line", "column"), [
    ("name: x\ncourse: a: b\n", 2, 10),
    ("name: x\n\tcourse: y\n", 2, 1),
    ("name: x\nmatrices:\n  A: [1, 2\nconvolution: {}\n", 4, 12),   # and where the bracket was opened
])
def test_a_yaml_syntax_error_gives_the_line_and_column(tmp_path, text, line, column):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert one_line(err).startswith(f"{path}: not valid YAML at line {line}, column {column}: ")


def test_an_unclosed_bracket_says_where_it_was_opened(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nmatrices:\n  A: [1, 2\nconvolution: {}\n", encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert "(while parsing a flow sequence at line 3)" in one_line(err)


@pytest.mark.parametrize(("name", "text", "needle"), [
    ("bad.json", json.dumps({**SMALL, "convolution": {**SMALL["convolution"], "strides": 2}}),
     "convolution: unknown key `strides`; did you mean `stride`?"),
    ("bad.json", json.dumps({**SMALL, "grading": {"rubrik": {}}}),
     "grading: unknown key `rubrik`; did you mean `rubric`?"),
    ("bad.json", json.dumps({**SMALL, "problems": [{**SMALL["problems"][0], "parts": [
        {"id": "a", "task": "convolutoin", "points": 1}]}]}),
     "problems[0].parts[0].task: unknown task `convolutoin`; did you mean `convolution`?"),
    ("bad.toml", SMALL_TOML.replace("stride = [1, 2]", "strides = [1, 2]"),
     "convolution: unknown key `strides`; did you mean `stride`?"),
    ("bad.toml", SMALL_TOML.replace("kernel_size = 2", "kernel_sise = 2"),
     "pooling: unknown key `kernel_sise`; did you mean `kernel_size`?"),
    ("bad.toml", SMALL_TOML.replace('text = "stride [[stride]]"', 'txt = "stride"'),
     "problems[0].parts[0]: unknown key `txt`; did you mean `text`?"),
])
def test_json_and_toml_specs_give_the_key_path(tmp_path, name, text, needle):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert one_line(err) == f"{path}: {needle}"   # no line: the key path says where


@pytest.mark.parametrize(("key", "shown"), [
    ("a\nb", "`a\\nb`"),                      # a quoted key with a newline stays on one line
    ("x" * 5000, "`" + "x" * 60 + "...`"),       # and a huge key does not flood the terminal
])
def test_an_unknown_key_is_shown_on_one_line(key, shown):
    with pytest.raises(SpecError) as err:
        load_spec({**SMALL, "convolution": {**SMALL["convolution"], key: 1}})
    assert shown in one_line(err)


def test_a_dict_spec_gives_the_key_path():
    with pytest.raises(SpecError) as err:
        load_spec({**SMALL, "pooling": {**SMALL["pooling"], "paddng": 1}})
    assert one_line(err) == "<spec>: pooling: unknown key `paddng`; did you mean `padding`?"


SPECS = sorted(p for p in TEMPLATES.iterdir() if p.suffix in (".yaml", ".yml", ".json", ".toml"))


@pytest.mark.parametrize("path", SPECS, ids=[p.name for p in SPECS])
def test_every_spec_in_templates_still_loads_and_its_rubric_codes_are_known(path):
    spec = load_spec(path)
    spec.check_names("grading.rubric", spec.rubric, CODES, "rubric code")   # what Grader(spec) checks first
    assert {p.task for p in spec.parts} <= set(TASKS)


def test_templates_exist():
    assert DEFAULT_SPEC in SPECS and len(SPECS) >= 3


def test_aliases_cannot_make_the_line_walk_loop():
    """A recursive YAML alias: each node is walked once (a subprocess with a timeout, so a loop fails the test
    instead of hanging it)."""
    code = ("import sys, pathlib, tempfile\nfrom symconv import load_spec, SpecError\n"
            "p = pathlib.Path(tempfile.mkdtemp()) / 'a.yaml'\np.write_text('name: &x [*x]\\ncourse: [*x, *x]\\n')\n"
            "try:\n    load_spec(p)\nexcept SpecError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and "missing key 'problems'" in done.stdout


BAD_FOR_SOLVE = [MISSPELLINGS[1], MISSPELLINGS[7], ("tolerance: {rel:", "tolerance: {rel: [", "")]


@pytest.mark.parametrize(("command", "old", "new"), [
    *[("solve", old, new) for old, new, _ in BAD_FOR_SOLVE],
    *[("grade", old, new) for old, new, _ in BAD_FOR_SOLVE],
    ("grade", "    flipped-kernel: 0.5", "    flipped-kernal: 0.5"),
])
def test_the_cli_exits_1_with_one_line_for_each_kind(tmp_path, capsys, command, old, new):
    path, _ = misspelt(tmp_path, old, new)
    argv = ["solve", str(path), "--out", str(tmp_path / "out"), "--tex-only"] if command == "solve" else \
        ["grade", str(SUBMISSION), "--spec", str(path)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {path}: ") and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_yaml_loading_stays_safe(tmp_path):
    """The line-recording loader is yaml's SafeLoader: a Python tag is refused, not run."""
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert "not valid YAML" in one_line(err) and "python/object" in str(err.value)


@pytest.mark.parametrize(("section", "value", "key"), [
    ("rubric", {"output-size-off-by-one": "abc"}, "grading.rubric.output-size-off-by-one"),
    ("rubric", {"output-size-off-by-one": None}, "grading.rubric.output-size-off-by-one"),
    ("rubric", {"output-size-off-by-one": float("nan")}, "grading.rubric.output-size-off-by-one"),
    ("rubric", {"output-size-off-by-one": True}, "grading.rubric.output-size-off-by-one"),
    ("tolerance", {"rel": "x"}, "grading.tolerance.rel"),
    ("tolerance", {"abs": None}, "grading.tolerance.abs"),
    ("tolerance", {"rel": float("nan")}, "grading.tolerance.rel"),
    ("tolerance", {"abs": float("inf")}, "grading.tolerance.abs"),
    ("tolerance", {"rel": -1}, "grading.tolerance.rel"),
])
def test_a_number_that_is_not_one_is_a_spec_error_not_a_crash(section, value, key):
    with pytest.raises(SpecError) as err:
        load_spec({**SMALL, "grading": {section: value}})
    assert f"{key} must be a finite number >= 0" in one_line(err)


@pytest.mark.parametrize(("tolerance", "expected"), [
    ({"rel": "1e-6", "abs": 0}, (1e-6, 0.0)),   # YAML reads 1e-6 (no dot) as a string: still a number
    ({}, (1e-6, 1e-9)),
])
def test_numeric_strings_and_defaults_are_read(tolerance, expected):
    assert load_spec({**SMALL, "grading": {"tolerance": tolerance}}).tolerance == expected


@pytest.mark.parametrize("points", [float("nan"), float("inf"), -1])
def test_points_must_be_finite_and_not_negative(points):
    part = {"id": "a", "task": "convolution", "points": points}
    with pytest.raises(SpecError) as err:
        load_spec({**SMALL, "problems": [{**SMALL["problems"][0], "parts": [part]}]})
    assert "points must be a finite number >= 0" in one_line(err)


@pytest.mark.parametrize(("name", "text"), [
    ("deep.yaml", "name: " + "[" * 100_000 + "]" * 100_000 + "\n"),
    ("deep.json", '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}"),
])
def test_nesting_too_deep_for_the_parser_is_one_line(tmp_path, capsys, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert main(["solve", str(path), "--out", str(tmp_path / "out"), "--tex-only"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.endswith("nested too deeply\n")
