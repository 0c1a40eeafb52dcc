"""The Gradescope autograder: ``build_bundle(spec, zip_path)`` and ``run_autograder(root)``.

The zip holds, at its root, ``setup.sh`` (installs this package, editable, in a venv at /autograder/venv; torch is
not needed: without it, 1.2a compares module paths against the spellings of the static table), ``run_autograder``
and the package source with ``spec.<ext>``, the spec to grade against. Gradescope unpacks it into
/autograder/source; ``run_autograder`` grades the one answer file in /autograder/submission (.yaml, .yml, .json,
.toml or .tex), under the time budget of ``grader.batch``, and writes /autograder/results/results.json.
The root is ``$SYMCONV_AUTOGRADER_ROOT`` when set (tests use a fake tree), else /autograder.

The zip is reproducible: sorted entries, fixed timestamps.

A spec with variants (issue 13) needs the course secret: it travels inside the bundle as the file ``SECRET_NAME``
(mode 0600, made private again before each run, since unzipping may not keep the mode), never inside the spec, and
``run_autograder`` grades the submission against its student's variant (grader.variants). The student is the
submitter Gradescope authenticated (``submission_metadata.json``: their sid, else email), mapped through the roster
when one is bundled (``ROSTER_NAME``); without metadata, the id the file gives. An unknown id is needs-review.
Only the default problem is compared with here (one submission per run: classmates' answers are not at hand).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shlex
import sys
import zipfile
from pathlib import Path
from typing import Any

import grader
from grader.atomic import atomic_write
from grader.batch import DEFAULT_BUDGET, error_result, grade_batch
from grader.checkers.reference import Reference
from grader.discover import DiscoveryError, Found, discover
from grader.errors import GraderError
from grader.submission import SUFFIXES
from symconv.errors import SymconvError
from symconv.spec import DEFAULT_SPEC, load_spec

ROOT_ENV = "SYMCONV_AUTOGRADER_ROOT"
SECRET_NAME = "variant-secret"      # the course secret in the bundle (a spec with variants)
ROSTER_NAME = "roster.csv"          # the class list in the bundle (optional)
METADATA = "submission_metadata.json"
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
VARIANTS=()
if [ -f SECRET_FILE ]; then chmod 600 SECRET_FILE; VARIANTS+=(--secret "$ROOT/source/SECRET_FILE"); fi
if [ -f ROSTER_FILE ]; then VARIANTS+=(--roster "$ROOT/source/ROSTER_FILE" ID_COLUMN); fi
exec "$PYTHON" -m grader.gradescope --root "$ROOT" --spec "$ROOT/source/SPEC_NAME" ${VARIANTS[@]+"${VARIANTS[@]}"}
"""


def bundle_files(spec: str | Path | None = None, secret: str | Path | None = None,
                 roster: str | Path | None = None, id_column: str | None = None) -> dict[str, bytes]:
    """Name -> content of everything in the zip. The spec is checked first as the grader will meet it (its rubric
    codes, its reference solution), so a bad spec fails here and not on Gradescope at the first submission; so
    are the secret (a spec with variants needs one) and the roster."""
    spec_path = Path(spec) if spec else DEFAULT_SPEC
    Reference(load_spec(spec_path))
    from grader.variants import check_secret

    extra = {}
    if check_secret(spec_path, secret) is not None:
        extra[SECRET_NAME] = Path(secret).read_bytes()  # type: ignore[arg-type]
    if roster is not None:
        from grader.writeup.roster import load_roster

        load_roster(roster, id_column)
        extra[ROSTER_NAME] = Path(roster).read_bytes()
    if not (SOURCE / "pyproject.toml").is_file():
        raise GraderError(f"build the bundle from a source checkout (no pyproject.toml in {SOURCE})")
    spec_name = "spec" + spec_path.suffix.lower()
    column = f" --id-column {shlex.quote(id_column)}" if roster is not None and id_column else ""
    run = RUN_AUTOGRADER.replace("SPEC_NAME", spec_name).replace("SECRET_FILE", SECRET_NAME).replace(
        " ID_COLUMN", column)
    files = {"setup.sh": SETUP_SH.encode(), "run_autograder": run.replace("ROSTER_FILE", ROSTER_NAME).encode(),
             "pyproject.toml": (SOURCE / "pyproject.toml").read_bytes(), spec_name: spec_path.read_bytes(), **extra}
    for folder in PACKAGES + DATA:
        for path in sorted((SOURCE / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                files[path.relative_to(SOURCE).as_posix()] = path.read_bytes()
    return files


def build_bundle(spec: str | Path | None, zip_path: str | Path, secret: str | Path | None = None,
                 roster: str | Path | None = None, id_column: str | None = None) -> Path:
    """Write the autograder zip (reproducibly) and return its path; ``secret``: the course secret's file, needed
    for a spec with variants; ``roster``: the class list, to check each submitter's id (``id_column``: its id
    column, as given to ``symconv handouts``)."""
    buf = io.BytesIO()
    modes = {"setup.sh": 0o100755, "run_autograder": 0o100755, SECRET_NAME: 0o100600}
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in sorted(bundle_files(spec, secret, roster, id_column).items()):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = modes.get(name, 0o100644) << 16
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
                   budget: float = DEFAULT_BUDGET, secret: str | Path | None = None,
                   roster: str | Path | None = None, id_column: str | None = None) -> dict:
    """Grade ``root/submission`` and write ``root/results/results.json``; returns what was written. With a
    ``secret`` (a spec with variants), against the submitter's own variant."""
    root = Path(root or os.environ.get(ROOT_ENV) or "/autograder")
    loaded = load_spec(spec)
    try:
        found = find_submission(root / "submission")
        grade_fn = _variant_grader(root, spec, secret, roster, id_column)
    except (GraderError, SymconvError) as err:   # no answer file; an unusable secret or roster
        result = error_result(loaded, "submission", "", str(err))
    else:
        result = grade_batch([found.path], loaded, jobs=1, budget=budget, ids=[found.student],
                             grade_fn=grade_fn)[0].result
    data = result.to_gradescope()
    (root / "results").mkdir(exist_ok=True)  # Gradescope provides it; a local tree may not
    atomic_write(root / "results" / "results.json", json.dumps(data, indent=2, sort_keys=True) + "\n")
    return data


def _variant_grader(root: Path, spec: str | Path | None, secret: str | Path | None,
                    roster: str | Path | None, id_column: str | None = None) -> Any:
    """The grade function for a spec with variants (None for one without): the submitter's id from Gradescope's
    metadata, checked against the roster when one is bundled."""
    from grader.variants import VariantGrader, check_secret

    key = check_secret(spec, secret)
    if key is None:
        return None
    from grader.writeup.roster import load_roster

    return VariantGrader(spec if spec is not None else DEFAULT_SPEC, key,
                         roster=load_roster(roster, id_column) if roster else None, student=submitter(root))


def submitter(root: Path) -> str | None:
    """The first submitter's sid (else email, else name) in Gradescope's ``submission_metadata.json``; None without
    the file or the field (the submission's own id is then used).

    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / METADATA).write_text('{"users": [{"email": "ada@uni.edu", "id": 7, "name": "Ada", "sid": "s01"}]}')
    >>> submitter(d), submitter(d / "nowhere")
    ('s01', None)
    """
    try:
        data = json.loads((root / METADATA).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    users = data.get("users") if isinstance(data, dict) else None
    first = users[0] if isinstance(users, list) and users and isinstance(users[0], dict) else {}
    for key in ("sid", "email", "name"):
        value = first.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def main(argv: list[str] | None = None) -> int:
    """``python -m grader.gradescope``: run the autograder, print its output; exit 1 with one line when even
    results.json could not be written."""
    parser = argparse.ArgumentParser(prog="python -m grader.gradescope", description="Gradescope's run_autograder.")
    parser.add_argument("--root", default=None, help=f"the /autograder tree (default: ${ROOT_ENV} or /autograder)")
    parser.add_argument("--spec", default=None)
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET)
    parser.add_argument("--secret", default=None, help="the course secret (a spec with variants)")
    parser.add_argument("--roster", default=None, help="the class list")
    parser.add_argument("--id-column", default=None, help="the roster's id column")
    args = parser.parse_args(argv)
    try:
        data = run_autograder(args.root, args.spec, args.budget, args.secret, args.roster, args.id_column)
    except Exception as err:  # the one place a line beats a traceback only if results.json could not be written
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    print(data["output"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
