"""The Gradescope autograder: ``build_bundle(spec, zip_path)`` and ``run_autograder(root)``.

The zip holds, at its root, ``setup.sh`` (installs this package, editable, in a venv at /autograder/venv; torch is
not needed: without it, 1.2a compares module paths against the spellings of the static table), ``run_autograder``
and the package source with ``spec.<ext>``, the spec to grade against. Gradescope unpacks it into
/autograder/source; ``run_autograder`` grades the one answer file in /autograder/submission (.yaml, .yml, .json,
.toml or .tex), under the time budget of ``grader.batch``, and writes /autograder/results/results.json.
The root is ``$SYMCONV_AUTOGRADER_ROOT`` when set (tests use a fake tree), else /autograder.

The zip is reproducible: sorted entries, fixed timestamps.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import zipfile
from pathlib import Path

import grader
from grader.atomic import atomic_write
from grader.batch import DEFAULT_BUDGET, error_result, grade_batch
from grader.checkers.reference import Reference
from grader.discover import DiscoveryError, Found, discover
from grader.errors import GraderError
from grader.submission import SUFFIXES
from symconv.spec import DEFAULT_SPEC, load_spec

ROOT_ENV = "SYMCONV_AUTOGRADER_ROOT"
SOURCE = Path(grader.__file__).resolve().parent.parent
PACKAGES = ("symconv", "grader")
DATA = ("templates",)

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, in /autograder/source, to build the image: a venv with this package installed.
set -euo pipefail
cd "$(dirname "$0")"
PY=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11 python3.11-venv
  PY=python3.11
fi
"$PY" -m venv /autograder/venv
/autograder/venv/bin/pip install -q --upgrade pip
/autograder/venv/bin/pip install -q -e .
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this per submission: grade the answer file in $ROOT/submission, write $ROOT/results/results.json.
set -euo pipefail
ROOT="${SYMCONV_AUTOGRADER_ROOT:-/autograder}"
PYTHON="${SYMCONV_PYTHON:-$ROOT/venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
cd "$ROOT/source"
exec "$PYTHON" -m grader.gradescope --root "$ROOT" --spec "$ROOT/source/SPEC_NAME"
"""


def bundle_files(spec: str | Path | None = None) -> dict[str, bytes]:
    """Name -> content of everything in the zip. The spec is checked first as the grader will meet it (its rubric
    codes, its reference solution), so a bad spec fails here and not on Gradescope at the first submission."""
    spec_path = Path(spec) if spec else DEFAULT_SPEC
    Reference(load_spec(spec_path))
    if not (SOURCE / "pyproject.toml").is_file():
        raise GraderError(f"build the bundle from a source checkout (no pyproject.toml in {SOURCE})")
    spec_name = "spec" + spec_path.suffix.lower()
    files = {"setup.sh": SETUP_SH.encode(), "run_autograder": RUN_AUTOGRADER.replace("SPEC_NAME", spec_name).encode(),
             "pyproject.toml": (SOURCE / "pyproject.toml").read_bytes(), spec_name: spec_path.read_bytes()}
    for folder in PACKAGES + DATA:
        for path in sorted((SOURCE / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                files[path.relative_to(SOURCE).as_posix()] = path.read_bytes()
    return files


def build_bundle(spec: str | Path | None, zip_path: str | Path) -> Path:
    """Write the autograder zip (reproducibly) and return its path."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in sorted(bundle_files(spec).items()):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o100755 if name in ("setup.sh", "run_autograder") else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    zip_path = Path(zip_path)
    atomic_write(zip_path, buf.getvalue())
    return zip_path


def find_submission(folder: Path) -> Found:
    """The one answer file in the submission folder, found as ``symconv grade`` finds them (grader.discover:
    hidden files and other types are skipped)."""
    try:
        found = discover([folder]).files
    except DiscoveryError:  # a missing or empty folder: found none
        found = []
    if len(found) != 1:
        names = ", ".join(f.path.name for f in found[:5]) or "none"
        raise GraderError(f"expected exactly one answer file ({', '.join(SUFFIXES)}) in the submission, "
                          f"found {len(found)}: {names}")
    return found[0]


def run_autograder(root: str | Path | None = None, spec: str | Path | None = None,
                   budget: float = DEFAULT_BUDGET) -> dict:
    """Grade ``root/submission`` and write ``root/results/results.json``; returns what was written."""
    root = Path(root or os.environ.get(ROOT_ENV) or "/autograder")
    loaded = load_spec(spec)
    try:
        found = find_submission(root / "submission")
    except GraderError as err:
        result = error_result(loaded, "submission", "", str(err))
    else:
        result = grade_batch([found.path], loaded, jobs=1, budget=budget, ids=[found.student])[0].result
    data = result.to_gradescope()
    (root / "results").mkdir(exist_ok=True)  # Gradescope provides it; a local tree may not
    atomic_write(root / "results" / "results.json", json.dumps(data, indent=2, sort_keys=True) + "\n")
    return data


def main(argv: list[str] | None = None) -> int:
    """``python -m grader.gradescope``: run the autograder, print its output; exit 1 with one line when even
    results.json could not be written."""
    parser = argparse.ArgumentParser(prog="python -m grader.gradescope", description="Gradescope's run_autograder.")
    parser.add_argument("--root", default=None, help=f"the /autograder tree (default: ${ROOT_ENV} or /autograder)")
    parser.add_argument("--spec", default=None)
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET)
    args = parser.parse_args(argv)
    try:
        data = run_autograder(args.root, args.spec, args.budget)
    except Exception as err:  # the one place a line beats a traceback only if results.json could not be written
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    print(data["output"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
