"""A different problem for every student: the ``variants:`` section of a spec, drawn per student (issue 13).

A spec's own values stay the instructor's default problem (``load_spec`` ignores ``variants:``); a student's
variant replaces the values the section says are drawn. A variant is a pure function of the spec, the student id
and the course secret: the seed is HMAC-SHA256(secret, the canonical JSON of the spec's name and inputs
(``name``, ``matrices``, ``convolution``, ``pooling``, ``variants``) + the student id), so the same student always
gets the same problem on any machine, and correcting a problem's text, points or grading after the handouts went
out changes no variant. ``random.Random`` seeded from the digest draws the values (never Python's ``hash()``,
which is salted per process). The secret lives in a file the instructor keeps (:func:`load_secret`), never in the
spec and never in an output.

The section (every key optional; a misspelt key is a one-line SpecError with the nearest known key)::

    variants:
      matrices:
        A: {entries: [0, 5]}                 # integers drawn from the inclusive range
        B: {entries: [-2, 3], nonzero: true} # ... leaving out 0
      shapes: {A: [[5, 5], [6, 6]]}          # a drawn matrix's shape, from a list of [rows, cols]
      convolution: {stride: [1, 2], padding: [0, 1], dilation: [1]}   # each drawn from its list
      pooling: {kernel_size: [2, 3], stride: [1, 2], padding: [0]}
      constraints: [output-at-least-2x2, distinct-gradient-rows]
      attempts: 200                          # draws before giving up (default 200)

Constraints are checked on the drawn problem with the engine (:data:`CONSTRAINTS`): ``kernel-fits`` always (the
kernel fits its padded input, the pooling window its own: symconv.sizes); ``no-pool-ties`` whenever the spec has
a pooling section, unless it lists ``pool-ties`` (at least one window holds its maximum twice:
symconv.pooling.max_pool2d_routes); ``output-at-least-2x2`` (the convolution's and the pooling's outputs);
``distinct-gradient-rows`` (no two rows of ∂E/∂input alike: symconv.conv.conv2d_grad). A draw that violates one
is drawn again from the same generator, so the redraw is as deterministic as the first; after ``attempts`` draws
the SpecError names the constraint that never held.

>>> data = {"name": "hw", "matrices": {"A": [[1, 2, 3], [4, 5, 6], [7, 8, 9]], "B": [[1, 0], [0, 1]]},
...         "convolution": {"input": "A", "kernel": "B"}, "problems": [],
...         "variants": {"matrices": {"A": {"entries": [0, 9]}}}}
>>> one = variant_data(data, "s001", "course secret")
>>> one == variant_data(data, "s001", "course secret"), "variants" in one, one["matrices"]["B"]
(True, False, [[1, 0], [0, 1]])
>>> fingerprint(variant_spec(data, "s001", "x")) != fingerprint(variant_spec(data, "s002", "x"))
True
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import random
import stat
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sympy

from symconv.conv import conv2d, conv2d_grad
from symconv.errors import ConfigError, SpecError, SymconvError
from symconv.matrices import sym_matrix
from symconv.pooling import max_pool2d_routes
from symconv.sizes import output_size, pair, pool_output_size
from symconv.spec import Spec, _build
from symconv.spec_file import read_spec_data, unknown_name

ATTEMPTS = 200          # draws before a constraint that never holds is reported
MAX_ATTEMPTS = 10_000
MAX_SIDE = 12           # a drawn matrix's rows and columns (a handout page holds it)
MAX_ENTRY = 10**6       # the magnitude of a drawn entry
MAX_STUDENT = 200       # characters of a student id

#: The keys of the ``variants:`` section and of its subsections ("*" is a matrix name the spec chooses).
KEYS: dict[str, tuple[str, ...]] = {
    "variants": ("matrices", "shapes", "convolution", "pooling", "constraints", "attempts"),
    "variants.matrices.*": ("entries", "nonzero"),
    "variants.convolution": ("stride", "padding", "dilation"),
    "variants.pooling": ("kernel_size", "stride", "padding"),
}
#: The smallest value of each drawn configuration key (PyTorch's ranges: symconv.sizes.pair checks them).
MINIMUM = {"stride": 1, "padding": 0, "dilation": 1, "kernel_size": 1}
#: The seed covers the inputs only: the text, points and grading can be corrected without changing any variant.
SEEDED = ("name", "matrices", "convolution", "pooling", "variants")


class SecretError(SymconvError):
    """The course secret's file cannot be used (missing, empty, readable by every user); never shows the secret."""


@dataclass(frozen=True)
class Constraint:
    """A condition the drawn problem must meet: its name in the spec, what it means, its check on the Spec."""

    name: str
    meaning: str
    holds: Callable[[Spec], bool]
    needs: str = ""      # the spec section it needs ("convolution", "pooling")


# ---------------------------------------------------------------------------------------------------------------
# The constraints, each checked with the engine on the drawn Spec.

def _conv_shape(spec: Spec) -> tuple[int, int] | None:
    c = spec.convolution
    if c is None:
        return None
    x, w = spec.matrices[c.input].shape, spec.matrices[c.kernel].shape
    rows, cols = (output_size(x[a], w[a], padding=c.padding[a], stride=c.stride[a], dilation=c.dilation[a])
                  for a in (0, 1))
    return rows, cols


def _pool_input(spec: Spec) -> sympy.Matrix:
    """The matrix the pooling reads: the convolution's output (the engine's conv2d) or one of the matrices."""
    c, p = spec.convolution, spec.pooling
    assert p is not None
    if c is not None and p.input == c.output:
        return conv2d(spec.matrices[c.input], spec.matrices[c.kernel], stride=c.stride, padding=c.padding,
                      dilation=c.dilation)
    return spec.matrices[p.input]


def _pool_shape(spec: Spec) -> tuple[int, int] | None:
    p = spec.pooling
    if p is None:
        return None
    shape = _conv_shape(spec) if spec.convolution is not None and p.input == spec.conv.output else None
    x = shape or spec.matrices[p.input].shape
    rows, cols = (pool_output_size(x[a], p.kernel_size[a], stride=p.stride[a], padding=p.padding[a])
                  for a in (0, 1))
    return rows, cols


def _ties(spec: Spec) -> int:
    """How many max-pooling windows hold their maximum more than once (PyTorch's tie rule decides them)."""
    p = spec.pooling
    if p is None:
        return 0
    routes = max_pool2d_routes(_pool_input(spec), p.kernel_size, p.stride, p.padding)
    return sum(len(r.ties) > 1 for row in routes for r in row)


def _at_least_2x2(spec: Spec) -> bool:
    return all(min(shape) >= 2 for shape in (_conv_shape(spec), _pool_shape(spec)) if shape is not None)


def _distinct_gradient_rows(spec: Spec) -> bool:
    c = spec.conv
    out = _conv_shape(spec)
    assert out is not None
    upstream = sympy.ones(*out) if c.upstream == "ones" else sym_matrix("G", *out)
    grad, _ = conv2d_grad(spec.matrices[c.input], spec.matrices[c.kernel], upstream, stride=c.stride,
                          padding=c.padding, dilation=c.dilation)
    rows = [tuple(sympy.expand(e) for e in grad.row(i)) for i in range(grad.rows)]
    return len(set(rows)) == len(rows)


CONSTRAINTS: dict[str, Constraint] = {c.name: c for c in (
    Constraint("output-at-least-2x2", "the convolution's and the pooling's outputs are at least 2x2", _at_least_2x2),
    Constraint("no-pool-ties", "no max-pool window holds its maximum twice", lambda s: _ties(s) == 0, "pooling"),
    Constraint("pool-ties", "some max-pool window holds its maximum twice", lambda s: _ties(s) > 0, "pooling"),
    Constraint("distinct-gradient-rows", "no two rows of the input gradient are alike", _distinct_gradient_rows,
               "convolution"),
)}
KERNEL_FITS = "kernel-fits"   # always on: checked before the Spec is built (the loader would refuse it)


# ---------------------------------------------------------------------------------------------------------------
# The section's schema.

@dataclass(frozen=True)
class Draws:
    """The validated ``variants:`` section: what is drawn from where, and the constraints."""

    entries: dict[str, tuple[int, ...]]                  # matrix -> the values its entries are drawn from
    shapes: dict[str, tuple[tuple[int, int], ...]]       # matrix -> the shapes it is drawn from
    config: dict[str, dict[str, tuple[Any, ...]]]        # "convolution"/"pooling" -> key -> choices
    constraints: tuple[str, ...]
    attempts: int


def _ints(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _mapping(value: Any, path: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SpecError(where, f"{path} must be a mapping")
    return value


def _choices(value: Any, path: str, where: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise SpecError(where, f"{path} must be a non-empty list of choices")
    return value


def _known(section: dict[str, Any], path: str, schema: str, where: str, lines: dict[str, int]) -> None:
    for key in section:
        if str(key) not in KEYS[schema]:
            raise unknown_name(where, lines, path, str(key), KEYS[schema])


def parse_variants(data: dict[str, Any], where: str = "<spec>", lines: dict[str, int] | None = None) -> Draws:
    """The spec's ``variants:`` section, validated against the spec's own sections (an empty Draws without one).

    >>> parse_variants({"matrices": {"A": [[1]]}, "variants": {"matrices": {"A": {"entries": [0, 3]}}}}).entries
    {'A': (0, 1, 2, 3)}
    >>> parse_variants({"matrices": {"A": [[1]]}, "variants": {"matrices": {"A": {"entires": [0, 3]}}}})
    Traceback (most recent call last):
    ...
    symconv.errors.SpecError: <spec>: variants.matrices.A: unknown key `entires`; did you mean `entries`?
    """
    lines = lines or {}
    section = _mapping(data.get("variants", {}) or {}, "variants", where)
    _known(section, "variants", "variants", where, lines)
    matrices = data.get("matrices")
    base: dict[str, Any] = matrices if isinstance(matrices, dict) else {}
    entries: dict[str, tuple[int, ...]] = {}
    for name, drawn in _mapping(section.get("matrices", {}), "variants.matrices", where).items():
        path = f"variants.matrices.{name}"
        if str(name) not in base:
            raise unknown_name(where, lines, "variants.matrices", str(name), base, "matrix")
        drawn = _mapping(drawn, path, where)
        _known(drawn, path, "variants.matrices.*", where, lines)
        span = drawn.get("entries")
        if not (isinstance(span, list) and len(span) == 2 and all(_ints(v) for v in span)
                and -MAX_ENTRY <= span[0] <= span[1] <= MAX_ENTRY):
            raise SpecError(where, f"{path}.entries must be [low, high]: integers, low <= high, within "
                                   f"{MAX_ENTRY:,} of 0")
        nonzero = drawn.get("nonzero", False)
        if not isinstance(nonzero, bool):
            raise SpecError(where, f"{path}.nonzero must be true or false")
        values = tuple(v for v in range(span[0], span[1] + 1) if v or not nonzero)
        if not values:
            raise SpecError(where, f"{path}: the range {span} holds no nonzero integer")
        entries[str(name)] = values
    shapes: dict[str, tuple[tuple[int, int], ...]] = {}
    for name, options in _mapping(section.get("shapes", {}), "variants.shapes", where).items():
        path = f"variants.shapes.{name}"
        if str(name) not in entries:
            raise SpecError(where, f"{path}: a drawn shape needs drawn entries (variants.matrices.{name}.entries)")
        for shape in _choices(options, path, where):
            if not (isinstance(shape, list) and len(shape) == 2 and all(_ints(v) and 1 <= v <= MAX_SIDE
                                                                        for v in shape)):
                raise SpecError(where, f"{path}: each shape must be [rows, cols], from 1 to {MAX_SIDE}")
        shapes[str(name)] = tuple((r, c) for r, c in options)
    config: dict[str, dict[str, tuple[Any, ...]]] = {}
    for kind in ("convolution", "pooling"):
        if kind not in section:
            continue
        drawn = _mapping(section[kind], f"variants.{kind}", where)
        _known(drawn, f"variants.{kind}", f"variants.{kind}", where, lines)
        if not isinstance(data.get(kind), dict):
            raise SpecError(where, f"variants.{kind}: the spec has no {kind} section to vary")
        config[kind] = {}
        for key, options in drawn.items():
            for option in _choices(options, f"variants.{kind}.{key}", where):
                try:
                    pair(f"variants.{kind}.{key}", option, MINIMUM[key])
                except ConfigError as err:
                    raise SpecError(where, str(err)) from None
            config[kind][str(key)] = tuple(options)
    constraints = _constraints(section.get("constraints", []), data, where, lines)
    attempts = section.get("attempts", ATTEMPTS)
    if not _ints(attempts) or not 1 <= attempts <= MAX_ATTEMPTS:
        raise SpecError(where, f"variants.attempts must be an integer from 1 to {MAX_ATTEMPTS:,}")
    return Draws(entries, shapes, config, constraints, attempts)


def _constraints(listed: Any, data: dict[str, Any], where: str, lines: dict[str, int]) -> tuple[str, ...]:
    """The constraints listed, checked, plus ``no-pool-ties`` for a spec with pooling that does not ask for ties."""
    if not isinstance(listed, list) or not all(isinstance(c, str) for c in listed):
        raise SpecError(where, "variants.constraints must be a list of names")
    known = (*CONSTRAINTS, KERNEL_FITS)
    for name in listed:
        if name not in known:
            raise unknown_name(where, lines, "variants.constraints", name, known, "constraint")
        need = CONSTRAINTS[name].needs if name in CONSTRAINTS else ""
        if need and not isinstance(data.get(need), dict):
            raise SpecError(where, f"variants.constraints: {name} needs a {need} section")
    if "pool-ties" in listed and "no-pool-ties" in listed:
        raise SpecError(where, "variants.constraints: pool-ties and no-pool-ties contradict each other")
    chosen = [name for name in dict.fromkeys(listed) if name in CONSTRAINTS]
    if isinstance(data.get("pooling"), dict) and "pool-ties" not in chosen and "no-pool-ties" not in chosen:
        chosen.append("no-pool-ties")
    return tuple(chosen)


# ---------------------------------------------------------------------------------------------------------------
# The draw.

def _check_student(student: Any) -> str:
    if not isinstance(student, str) or not student.strip():
        raise SpecError("variants", "a student id must be a non-empty string")
    student = student.strip()
    if len(student) > MAX_STUDENT or not student.isprintable():
        raise SpecError("variants", f"a student id must be printable and at most {MAX_STUDENT} characters")
    return student


def seed(data: dict[str, Any], student: str, secret: str) -> bytes:
    """HMAC-SHA256(secret, canonical JSON of the spec's inputs + NUL + student id): the student's draw's seed.

    >>> seed({"name": "hw"}, "s1", "k").hex()[:16] == seed({"name": "hw", "problems": []}, "s1", "k").hex()[:16]
    True
    """
    if not isinstance(secret, str) or not secret:
        raise SecretError("the course secret is empty")
    inputs = {key: data[key] for key in SEEDED if key in data}
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    message = canonical.encode("utf-8") + b"\x00" + _check_student(student).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def _draw_once(data: dict[str, Any], draws: Draws, rng: random.Random) -> dict[str, Any]:
    """One candidate: the spec's data with every drawn value in place, in a fixed order (names sorted)."""
    out = copy.deepcopy({k: v for k, v in data.items() if k != "variants"})
    for name in sorted(draws.entries):
        rows, cols = (rng.choice(draws.shapes[name]) if name in draws.shapes
                      else (len(data["matrices"][name]), len(data["matrices"][name][0])))
        values = draws.entries[name]
        out["matrices"][name] = [[rng.choice(values) for _ in range(cols)] for _ in range(rows)]
    for kind in ("convolution", "pooling"):
        for key in sorted(draws.config.get(kind, {})):
            out[kind][key] = copy.deepcopy(rng.choice(draws.config[kind][key]))
    return out


@dataclass(frozen=True)
class Draw:
    """A student's variant: the spec's data with the drawn values, its Spec, and the draws it took."""

    data: dict[str, Any]
    spec: Spec
    attempts: int


def draw(data: dict[str, Any], student: str, secret: str, *, where: str = "<spec>",
         lines: dict[str, int] | None = None) -> Draw:
    """Draw ``student``'s variant of the spec ``data`` (see the module docstring); a SpecError naming the
    constraint that never held when no draw meets them all in ``variants.attempts`` draws."""
    draws = parse_variants(data, where, lines)
    default = _build({k: v for k, v in data.items() if k != "variants"}, where, lines)   # it loads: checked first
    if "variants" not in data:   # nothing drawn, nothing constrained: every student gets the default problem
        seed(data, student, secret)   # the id and the secret are still checked
        return Draw(copy.deepcopy(data), default, 0)
    rng = random.Random(int.from_bytes(seed(data, student, secret), "big"))
    held = dict.fromkeys((KERNEL_FITS, *draws.constraints), 0)
    attempt = 0
    for attempt in range(1, draws.attempts + 1):
        candidate = _draw_once(data, draws, rng)
        try:   # the default problem loads, so a draw the loader refuses is one whose kernel or window does not fit
            spec = _build(candidate, where, lines)
        except SpecError:
            continue
        held[KERNEL_FITS] += 1
        failed = [name for name in draws.constraints if not CONSTRAINTS[name].holds(spec)]
        for name in draws.constraints:
            held[name] += name not in failed
        if not failed:
            return Draw(candidate, spec, attempt)
        if not (draws.entries or draws.config):
            break                                # nothing is drawn: every draw is the default problem
    never = [name for name, count in held.items() if count == 0]
    what = (f"`{never[0]}` ({CONSTRAINTS[never[0]].meaning if never[0] in CONSTRAINTS else 'the kernel fits'})"
            " never held" if never else f"{', '.join(f'`{n}`' for n in held)} never held together")
    tried = f"{attempt} draws" if attempt > 1 else "the only possible draw"
    raise SpecError(where, f"variants: {what} in {tried}; widen the ranges or drop the constraint")


def variant_data(data: dict[str, Any], student: str, secret: str, *, where: str = "<spec>",
                 lines: dict[str, int] | None = None) -> dict[str, Any]:
    """The spec's data with ``student``'s drawn values in place and the ``variants:`` section removed (a pure,
    deterministic function of its arguments); the data unchanged but for that without a ``variants:`` section.

    >>> data = {"name": "x", "matrices": {"X": [[1, 2], [3, 4]]}, "pooling": {"input": "X", "kernel_size": 2},
    ...         "problems": [], "variants": {"matrices": {"X": {"entries": [1, 9]}}}}
    >>> x = variant_data(data, "ada", "secret")["matrices"]["X"]
    >>> len({v for row in x for v in row})     # no-pool-ties: the window's maximum is there once
    4
    """
    return draw(data, student, secret, where=where, lines=lines).data


def variant_spec(source: str | Path | dict[str, Any] | None, student: str, secret: str) -> Spec:
    """``student``'s variant of the spec at ``source`` (a path, a dict, or None for the homework), as a Spec.

    >>> spec = variant_spec("templates/homework-variants.yaml", "s001", "course secret")
    >>> spec.matrices["A"].shape, fingerprint(spec) == fingerprint(variant_spec(
    ...     "templates/homework-variants.yaml", "s001", "course secret"))
    ((5, 5), True)
    """
    data, where, lines = read_spec_data(source)
    return draw(data, student, secret, where=where, lines=lines).spec


def has_variants(source: str | Path | dict[str, Any] | Spec | None) -> bool:
    """Whether the spec has a ``variants:`` section (for a loaded Spec: the file it was loaded from has one).

    >>> has_variants({"name": "x", "variants": {}}), has_variants(None)
    (True, False)
    """
    if isinstance(source, Spec):
        if not Path(source.source).is_file():
            return False
        source = source.source
    data, _, _ = read_spec_data(source)
    return "variants" in data


def fingerprint(spec: Spec) -> str:
    """A short digest of a problem's inputs and configuration: equal fingerprints, identical problems.

    >>> from symconv.spec import load_spec
    >>> len(fingerprint(load_spec())), fingerprint(load_spec()) == fingerprint(load_spec())
    (16, True)
    """
    problem = {"matrices": {name: [[str(e) for e in m.row(i)] for i in range(m.rows)]
                            for name, m in sorted(spec.matrices.items())},
               "convolution": asdict(spec.convolution) if spec.convolution else None,
               "pooling": asdict(spec.pooling) if spec.pooling else None,
               "network": repr(spec.network) if spec.network else None}
    canonical = json.dumps(problem, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def load_secret(path: str | Path) -> str:
    """The course secret: the first line of ``path``, a file the instructor keeps (not readable by every user).

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "secret"
    >>> _ = path.write_text("correct horse battery staple\\n"); path.chmod(0o600)
    >>> load_secret(path)
    'correct horse battery staple'
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SecretError(f"{path}: cannot read the course secret: {getattr(err, 'strerror', None) or 'not UTF-8'}"
                          ) from None
    if not stat.S_ISREG(mode):
        raise SecretError(f"{path}: the course secret must be a regular file")
    if os.name == "posix" and mode & (stat.S_IROTH | stat.S_IWOTH):
        raise SecretError(f"{path}: the course secret is readable or writable by every user; chmod 600 {path}")
    secret = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not secret:
        raise SecretError(f"{path}: the course secret file is empty")
    return secret


__all__ = ["CONSTRAINTS", "Constraint", "Draw", "SecretError", "draw", "fingerprint", "has_variants", "load_secret",
           "parse_variants", "read_spec_data", "seed", "variant_data", "variant_spec"]
