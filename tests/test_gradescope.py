"""grader.gradescope: the autograder zip; run_autograder against a fake /autograder tree, with and without torch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.gradescope import ROOT_ENV, build_bundle, bundle_files, find_submission, run_autograder
from symconv import SpecError, load_spec
from symconv.solution import POOL_MODULES, check_pool_modules

ROOT = Path(__file__).resolve().parent.parent
SPEC = load_spec(None)
TOP = sum(p.points for p in SPEC.parts)
# 1.2a in the three spellings the grader accepts, and one wrong path (module-path)
MODULES = {"max": "torch.nn.modules.pooling.MaxPool2d", "avg": "nn.AvgPool2d", "lp": "torch.LPPool2d"}


def test_static_module_table_matches_torch():
    assert check_pool_modules() is True
    import torch.nn
    assert all(getattr(torch.nn, path.rpartition(".")[2]) is not None for path in POOL_MODULES.values())


def test_bundle_is_complete_and_reproducible(tmp_path):
    first, second = build_bundle(None, tmp_path / "a.zip"), build_bundle(None, tmp_path / "b.zip")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as z:
        names = set(z.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    assert {"setup.sh", "run_autograder", "pyproject.toml", "spec.yaml", "grader/parse/answer.lark",
            "templates/homework.yaml", "grader/gradescope.py"} <= names
    sources = {p.relative_to(ROOT).as_posix() for pkg in ("symconv", "grader") for p in (ROOT / pkg).rglob("*.py")
               if "__pycache__" not in p.parts}
    assert sources <= names and not [n for n in names if "__pycache__" in n or n.startswith("tests/")]
    assert modes["setup.sh"] & 0o777 == 0o755 and modes["run_autograder"] & 0o777 == 0o755
    setup = bundle_files()["setup.sh"].decode()
    assert "pip install -q -e ." in setup and "torch" not in setup


def test_bundle_spec_is_checked(tmp_path):
    (tmp_path / "bad.yaml").write_text("name: [")
    with pytest.raises(Exception, match="bad.yaml"):
        build_bundle(tmp_path / "bad.yaml", tmp_path / "x.zip")

HIDE_TORCH = """
import importlib.machinery

_find = importlib.machinery.PathFinder.find_spec


def _find_spec(name, path=None, target=None):
    return None if name.split(".")[0] == "torch" else _find(name, path, target)


importlib.machinery.PathFinder.find_spec = _find_spec
"""


def _fake_autograder(tmp_path: Path, files: dict[str, str]) -> Path:
    """An /autograder tree: the zip unpacked in source/, run_autograder at the root, files in submission/."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(build_bundle(None, tmp_path / "autograder.zip")) as z:
        z.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    return root


def _run(root: Path, tmp_path: Path, block_torch: bool) -> dict:
    env = {**os.environ, ROOT_ENV: str(root), "SYMCONV_PYTHON": sys.executable}
    if block_torch:  # as if torch were not installed: the path finder no longer finds it
        hide = tmp_path / "no-torch"
        hide.mkdir(exist_ok=True)
        (hide / "sitecustomize.py").write_text(HIDE_TORCH)
        env["PYTHONPATH"] = str(hide)
    run = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads((root / "results" / "results.json").read_text())


def _answers() -> dict:
    from test_cli_grade import perfect_answers  # the engine's reference answers

    return {**perfect_answers(), "1.2a": MODULES}


@pytest.mark.parametrize("block_torch", [False, True])
def test_run_autograder_in_a_fake_tree(tmp_path, block_torch):
    root = _fake_autograder(tmp_path, {"answers.json": json.dumps({"student": "ada", "answers": _answers()}),
                                       "README.pdf": "ignored: not an answer file"})
    data = _run(root, tmp_path, block_torch)
    assert set(data) >= {"score", "max_score", "output", "tests", "visibility", "execution_time"}
    tests = {t["name"]: t for t in data["tests"]}
    assert list(tests) == [p.id for p in SPEC.parts] and data["max_score"] == TOP
    assert tests["1.2a"]["tags"] == ["module-path"]  # torch.LPPool2d: right name, wrong path, with or without torch
    assert all(t["score"] == t["max_score"] for name, t in tests.items() if name != "1.2a")
    assert 0 < tests["1.2a"]["score"] < tests["1.2a"]["max_score"]
    assert data["output"].startswith("ada: ")
    # the bundled source, not this checkout, was imported
    where = subprocess.run([sys.executable, "-c", "import grader; print(grader.__file__)"], cwd=root / "source",
                           capture_output=True, text=True).stdout
    assert where.startswith(str(root / "source"))
    if block_torch:
        probe = "import importlib.util; print(importlib.util.find_spec('torch'))"
        hidden = subprocess.run([sys.executable, "-c", probe],
                                env={**os.environ, "PYTHONPATH": str(tmp_path / "no-torch")}, capture_output=True,
                                text=True).stdout
        assert hidden.strip() == "None"


@pytest.mark.parametrize("files, message", [
    ({}, "found 0: none"),
    ({"a.yaml": "answers: {}", "b.tex": r"\answer{1.1a}{3}"}, "found 2: a.yaml, b.tex"),
])
def test_run_autograder_without_exactly_one_file(tmp_path, files, message):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    data = run_autograder(root)
    assert data["score"] == 0 and message in data["output"] and len(data["tests"]) == len(SPEC.parts)
    assert json.loads((root / "results" / "results.json").read_text()) == data


def test_find_submission_is_symconv_grades_discovery(tmp_path):
    """One discovery (grader.discover) for both: nested folders are searched, hidden and other files skipped."""
    folder = tmp_path / "submission"
    for name in ("hw/answers.yaml", ".answers.json", "__MACOSX/._answers.yaml", "scan.pdf"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("answers: {}")
    assert find_submission(folder).path == folder / "hw" / "answers.yaml"


def test_run_autograder_unreadable_file(tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "submission" / "x.yaml").write_bytes(b"\xff\xfe bad")
    data = run_autograder(root)
    assert data["score"] == 0 and "x.yaml: not valid UTF-8" in data["output"]


def test_a_misspelt_rubric_code_fails_the_bundle_not_the_first_submission(tmp_path):
    import yaml

    from symconv.spec import DEFAULT_SPEC

    data = yaml.safe_load(DEFAULT_SPEC.read_text())
    data["grading"]["rubric"]["flipped-kernal"] = 0.5
    spec = tmp_path / "typo.yaml"
    spec.write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError, match="flipped-kernal.*did you mean `flipped-kernel`"):
        bundle_files(spec)
