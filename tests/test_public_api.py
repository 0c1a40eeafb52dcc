"""Public names never shadow a submodule: in every package of symconv and grader, a public attribute ``pkg.name``
is either not a submodule's name or IS that submodule (``grader.grade`` is the function, its module is
``grader.grading``; ``grader.parse`` is the package, its function is ``grader.parse_answer``)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import types

import pytest

import grader
import symconv

# (package, name) pairs that still shadow, in files owned elsewhere this hour; each must still shadow (not stale)
PENDING: set[tuple[str, str]] = set()


def packages(root: types.ModuleType) -> list[str]:
    """The dotted names of root and of every package below it."""
    below = pkgutil.walk_packages(root.__path__, f"{root.__name__}.")
    return [root.__name__, *sorted(m.name for m in below if m.ispkg)]


def public_names(package: types.ModuleType) -> list[str]:
    """``__all__``, or the attributes not starting with ``_`` when the package declares none."""
    names = getattr(package, "__all__", None)
    return sorted(names if names is not None else (n for n in vars(package) if not n.startswith("_")))


def shadows(package_name: str) -> set[tuple[str, str]]:
    """The (package, name) pairs whose public attribute is not the submodule of the same name."""
    package = importlib.import_module(package_name)
    found = set()
    for name in public_names(package):
        value = getattr(package, name)
        try:
            module = importlib.import_module(f"{package_name}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{package_name}.{name}":  # the submodule exists but fails to import: a real error
                raise
            continue
        if module is not value:
            found.add((package_name, name))
    return found


ALL_PACKAGES = [*packages(grader), *packages(symconv)]


@pytest.mark.parametrize("package_name", ALL_PACKAGES)
def test_no_public_name_shadows_a_submodule(package_name):
    assert shadows(package_name) - PENDING == set()


def test_pending_is_not_stale():
    found = set().union(*(shadows(p) for p in {p for p, _ in PENDING}))
    assert PENDING - found == set(), "these no longer shadow: take them out of PENDING"


@pytest.mark.parametrize(("expression", "kind"), [
    ("grader.grade", types.FunctionType),
    ("grader.parse", types.ModuleType),
    ("grader.parse_answer", types.FunctionType),
    ("grader.grading", types.ModuleType),
    ("grader.writeup.annotate", types.FunctionType),
])
def test_the_renamed_names(expression, kind):
    importlib.import_module("grader.grading")  # a loaded submodule must not rebind the package's name either
    importlib.import_module("grader.writeup.annotation")
    package, name = expression.rsplit(".", 1)
    assert isinstance(getattr(importlib.import_module(package), name), kind)


def test_the_check_catches_a_function_named_like_its_module(tmp_path, monkeypatch):
    """The failure path: a package whose __init__ rebinds a submodule's name to a function is reported."""
    package = tmp_path / "shadowpkg"
    package.mkdir()
    (package / "__init__.py").write_text("from shadowpkg.work import work\nfrom shadowpkg import tidy\n"
                                         "__all__ = ['work', 'tidy', 'other']\nother = 1\n")
    (package / "work.py").write_text("def work():\n    return 1\n")
    (package / "tidy.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert shadows("shadowpkg") == {("shadowpkg", "work")}
    finally:
        for name in [n for n in sys.modules if n == "shadowpkg" or n.startswith("shadowpkg.")]:
            del sys.modules[name]
