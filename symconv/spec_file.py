"""Reading a spec file: its raw data (YAML, TOML or JSON, size-capped, YAML keys' lines kept), and the one-line
errors that name the file, the line and the nearest valid name. :mod:`symconv.spec` validates and builds on it.

>>> data, where, lines = read_spec_data(None)
>>> data["name"], lines["convolution.stride"] > 1
('homework', True)
"""

from __future__ import annotations

import difflib
import json
import sys
import tomllib
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from symconv.errors import SpecError


def _templates() -> Path:
    """templates/ beside the package in a checkout (and an editable install); in a regular install, the copy
    pyproject.toml's data-files put under <prefix>/share/symconv/templates."""
    here = Path(__file__).resolve().parent.parent / "templates"
    installed = Path(sys.prefix) / "share" / "symconv" / "templates"
    return here if here.is_dir() or not installed.is_dir() else installed


TEMPLATES = _templates()
DEFAULT_SPEC = TEMPLATES / "homework.yaml"

MAX_SPEC_BYTES = 1_000_000

def unknown_name(where: str, lines: dict[str, int], path: str, name: str, known: Collection[str],
                 what: str = "key") -> SpecError:
    """The one-line error for an unknown key, task or code ``name`` under ``path``: the file, the line when known
    (else the key path says where), and the nearest known name (difflib), else the known names.

    >>> str(unknown_name("bad.yaml", {"convolution.strides": 24}, "convolution", "strides", ("stride", "padding")))
    'bad.yaml: line 24: convolution: unknown key `strides`; did you mean `stride`?'
    """
    line = lines.get(f"{path}.{name}" if path else name) or lines.get(path)
    shown = one_line(name)
    folded = {str(k).lower(): str(k) for k in known}
    close = difflib.get_close_matches(name.lower(), list(folded), n=1, cutoff=0.6)
    hint = f"did you mean `{folded[close[0]]}`?" if close else f"known: {', '.join(sorted(folded.values()))}"
    at = f"line {line}: " if line else ""
    return SpecError(where, f"{at}{one_line(path) or 'top level'}: unknown {what} `{shown}`; {hint}")


def one_line(name: str, limit: int = 60) -> str:
    """A name from the spec as it may appear in a one-line message: printable, and not too long."""
    shown = name if name.isprintable() else repr(name)[1:-1]
    return shown if len(shown) <= limit else shown[:limit] + "..."


def read_yaml(text: str, where: str) -> tuple[Any, dict[str, int]]:
    """The data of a YAML spec (safe loading), and the line (from 1) of every mapping key and list item by key path
    (``convolution.stride``, ``problems[0].parts[1].task``), from the composed nodes' start marks: one parse for
    both. A key given twice in one mapping is an error (YAML keeps the last silently). Each node is visited once,
    so aliases cannot make the walk loop."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    stack: list[tuple[str, yaml.Node]] = [("", root)] if root is not None else []
    seen: set[int] = set()
    while stack:
        path, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                    continue
                if key.value in keys:
                    raise SpecError(where, f"line {key.start_mark.line + 1}: {one_line(path) or 'top level'}: key "
                                           f"`{one_line(key.value)}` given twice")
                keys.add(key.value)
                sub = f"{path}.{key.value}" if path else key.value
                lines.setdefault(sub, key.start_mark.line + 1)
                stack.append((sub, value))
        elif isinstance(node, yaml.SequenceNode):
            for k, item in enumerate(node.value):
                lines.setdefault(f"{path}[{k}]", item.start_mark.line + 1)
                stack.append((f"{path}[{k}]", item))
    return data, lines


def _syntax(err: Exception, kind: str) -> str:
    """A YAML or JSON syntax error as one line with its line and column (TOML's message already has them)."""
    if isinstance(err, RecursionError):   # the parsers recurse into nested brackets
        return f"not valid {kind}: nested too deeply"
    mark = getattr(err, "problem_mark", None)
    if isinstance(err, yaml.MarkedYAMLError) and mark is not None:
        opened = err.context_mark   # an unclosed bracket or quote: where it was opened
        since = f" ({err.context} at line {opened.line + 1})" if err.context and opened is not None else ""
        problem = err.problem or type(err).__name__
        return f"not valid YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}{since}"
    if isinstance(err, json.JSONDecodeError):
        return f"not valid {kind} at line {err.lineno}, column {err.colno}: {err.msg}"
    return f"not valid {kind}: {str(err).splitlines()[0]}"


def read_spec_data(source: str | Path | dict[str, Any] | None) -> tuple[dict[str, Any], str, dict[str, int]]:
    """The raw data of a spec (a path, YAML, TOML or JSON, a dict, or None for the built-in homework), where it
    came from, and the line of each key (YAML); a one-line SpecError for a file that cannot be read or parsed."""
    if isinstance(source, dict):
        return source, "<spec>", {}
    path = Path(source) if source is not None else DEFAULT_SPEC
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise SpecError(where, f"cannot read: {err.strerror or err}") from None
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(where, f"larger than {MAX_SPEC_BYTES} bytes")
    lines: dict[str, int] = {}
    try:
        text = raw.decode("utf-8")
        if path.suffix == ".toml":
            data = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            data, lines = read_yaml(text, where)
    except (UnicodeDecodeError, ValueError, yaml.YAMLError, RecursionError) as err:
        raise SpecError(where, _syntax(err, path.suffix.lstrip(".").upper() or "YAML")) from None
    if not isinstance(data, dict):
        raise SpecError(where, "the top level must be a mapping")
    return data, where, lines
