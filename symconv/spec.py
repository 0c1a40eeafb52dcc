"""Problem specs: the inputs, the text and the points of a problem set (YAML, TOML or JSON in templates/).

A spec never holds answers; :mod:`symconv.solution` derives them. The solution documents and the grader read the
same spec. Text may use placeholders that the engine fills in, so that changing an input changes the text too:
``[[A.shape]]`` (``5\\times 5``), ``[[stride]]``, ``[[padding]]``, ``[[dilation]]``, ``[[pool.kernel_size]]``,
``[[pool.stride]]``, ``[[pool.padding]]``, ``[[upstream]]`` (``1``, or ``G_{uv}`` for a symbolic upstream or an
upstream matrix G), ``[[loss]]`` (E unless ``convolution.loss`` names it), ``[[operation]]`` (``cross-correlation``,
or ``convolution`` with ``convolution.mode: convolution``).

Every key, task and (in the grader) rubric code is checked: a misspelling is a one-line error with the file, the
line (YAML; the key path for JSON, TOML and dicts) and the nearest valid name, never silently ignored.

>>> spec = load_spec()
>>> spec.name, [p.id for p in spec.parts][:3]
('homework', ['1.1a', '1.1b', '1.1c'])
>>> spec.fill("a $[[A.shape]]$ image, stride [[stride]]")
'a $5\\\\times 5$ image, stride 1'
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sympy

from symconv.errors import ConfigError, SpecError
from symconv.layer_chain import LayerChain, is_array, parse_layers
from symconv.matrices import spec_matrix
from symconv.network import Network, parse_network
from symconv.sizes import Pair, output_size, pair, pool_output_size
from symconv.spec_file import DEFAULT_SPEC, TEMPLATES, one_line, read_spec_data, unknown_name

__all__ = ["DEFAULT_SPEC", "KEYS", "TEMPLATES", "ConvSetup", "Part", "PoolSetup", "Problem", "Spec", "load_spec",
           "read_spec_data", "unknown_name", "upstream_text"]

#: The keys each section of a spec may use (a task may add its own: ``Task.keys``); any other key is an error naming
#: its line and the nearest known key (a typo such as ``strides:`` would otherwise be ignored silently).
#: ``matrices`` holds names the instructor chooses, and ``document`` is checked by :mod:`symconv.document.options`.
#: "[]" marks each item of a list.
KEYS: dict[str, tuple[str, ...]] = {
    "": ("name", "course", "assignment", "date", "matrices", "convolution", "pooling", "network", "layers",
         "grading", "problems", "document", "variants"),   # variants: drawn per student by symconv.variants
    "convolution": ("input", "kernel", "output", "stride", "padding", "dilation", "upstream", "upstream_name", "loss",
                    "index", "mode"),
    "pooling": ("input", "kernel_size", "stride", "padding"),
    "grading": ("tolerance", "rubric", "seed", "seed_file", "feedback"),
    "grading.tolerance": ("rel", "abs"),
    "grading.feedback": ("reveal",),
    "problems[]": ("id", "title", "text", "parts"),
    "problems[].parts[]": ("id", "task", "points", "text", "reveal"),
}
NAME = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Part:
    """One part of a problem: its id, task (:mod:`symconv.tasks`), points, text, and the keys its task adds."""
    id: str
    task: str
    points: float
    text: str = ""
    reveal: bool = True     # False: the document states the part but not its solution (a handout)
    options: dict[str, Any] = field(default_factory=dict, compare=False)   # keys a task adds (``Task.keys``)


@dataclass(frozen=True)
class Problem:
    """One problem: id, title, text and parts."""
    id: str
    title: str
    text: str
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class ConvSetup:
    """The convolution section: input, kernel and output names, stride, padding, dilation, upstream, and the
    mode (cross-correlation, or true convolution)."""
    input: str
    kernel: str
    output: str = "C"
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    upstream: str = "ones"   # "ones", "symbolic" (G_ij) or the name of a matrix of the spec
    # (not in the repr, which seeds the grader's evaluation points: specs without these keys keep their points)
    upstream_name: str = field(default="G", repr=False)   # a symbolic upstream's entries: G_uv
    loss: str = field(default="E", repr=False)            # the loss in the documents' text: dE/dC_uv
    index: str = field(default="2d", repr=False)          # "flat": entries named x1 ... x25 (row-major), not x_{11}
    mode: str = field(default="cross-correlation", repr=False)   # or "convolution": the kernel rotated by 180°

    @property
    def flip(self) -> bool:
        """True for true convolution (``mode: convolution``: the kernel rotated by 180 degrees), False for
        cross-correlation (PyTorch's conv2d, the default).

        >>> ConvSetup("A", "B").flip, ConvSetup("A", "B", mode="convolution").flip
        (False, True)
        """
        return self.mode == "convolution"


@dataclass(frozen=True)
class PoolSetup:
    """The pooling section: its input and PyTorch's kernel_size, stride and padding."""
    input: str
    kernel_size: Pair = (2, 2)
    stride: Pair = (2, 2)
    padding: Pair = (0, 0)


@dataclass(frozen=True)
class Spec:
    """A loaded, validated spec (:func:`load_spec`): inputs, sections, problems, grading settings."""
    name: str
    course: str
    assignment: str
    date: str
    matrices: dict[str, sympy.Matrix]
    convolution: ConvSetup | None
    pooling: PoolSetup | None
    problems: tuple[Problem, ...]
    network: Network | None = None
    layers: LayerChain | None = None
    tolerance: tuple[float, float] = (1e-6, 1e-9)   # (relative, absolute)
    rubric: dict[str, float] = field(default_factory=dict)
    source: str = "<spec>"
    document: dict[str, Any] = field(default_factory=dict)   # the document's options, checked by symconv.document
    seed: str = ""   # grading.seed or grading.seed_file: the course's secret seed for evaluation points
    reveal: bool = True   # grading.feedback.reveal: false keeps every expected answer out of the feedback
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)   # key path -> line (YAML)

    @property
    def parts(self) -> list[Part]:
        """Every part of every problem, in order."""
        return [part for problem in self.problems for part in problem.parts]

    def part(self, part_id: str) -> Part:
        """The part with id ``part_id`` (a SpecError if there is none)."""
        for p in self.parts:
            if p.id == part_id:
                return p
        raise SpecError(self.source, f"no part {part_id!r}")

    def check_names(self, path: str, names: Iterable[str], known: Collection[str], what: str) -> None:
        """Raise a SpecError for the first of ``names`` (found under ``path``) that is not ``known``, with its
        line and the nearest known name. The grader checks its rubric codes this way (the engine does not know
        them).

        >>> spec = load_spec()
        >>> spec.check_names("grading.rubric", ["flipped-kernal"], ["flipped-kernel"], "code")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        symconv.errors.SpecError: ...: grading.rubric: unknown code `flipped-kernal`; did you mean `flipped-kernel`?
        """
        for name in names:
            if str(name) not in known:
                raise unknown_name(self.source, self.lines, path, str(name), known, what)

    @property
    def conv(self) -> ConvSetup:
        """The convolution section; a SpecError when the spec has none (a part that needs it says so at load)."""
        if self.convolution is None:
            raise SpecError(self.source, "this spec has no convolution section")
        return self.convolution

    @property
    def max_score(self) -> float:
        """The points of every part added up."""
        return sum(p.points for p in self.parts)

    def fill(self, text: str) -> str:
        """Replace ``[[...]]`` placeholders with values derived from the inputs."""
        values = _placeholders(self)

        def sub(m: re.Match[str]) -> str:
            key = m.group(1).strip()
            if key not in values:
                raise SpecError(self.source, f"unknown placeholder [[{key}]]; known: {', '.join(sorted(values))}")
            return values[key]
        return re.sub(r"\[\[([^\]]+)\]\]", sub, text)


def _show(p: Pair) -> str:
    return str(p[0]) if p[0] == p[1] else f"({p[0]}, {p[1]})"


def _placeholders(spec: Spec) -> dict[str, str]:
    values = {f"{n}.shape": rf"{m.rows}\times {m.cols}" for n, m in spec.matrices.items()}
    c = spec.convolution
    if c is not None:
        values.update(stride=_show(c.stride), padding=_show(c.padding), dilation=_show(c.dilation))
        values["upstream"] = upstream_text(c)   # dE/dC_uv, as the problem text states it
        values["loss"] = c.loss
        values["operation"] = c.mode
    if spec.pooling:
        kh, kw = spec.pooling.kernel_size
        values.update({"pool.kernel_size": rf"{kh}\times {kw}", "pool.stride": _show(spec.pooling.stride),
                       "pool.padding": _show(spec.pooling.padding)})
    return values


def upstream_text(c: ConvSetup) -> str:
    """The upstream gradient ∂E/∂C_uv as the problem text states it: ``1``, or an entry ``G_{uv}`` of the
    symbolic upstream or of the spec's upstream matrix.

    >>> upstream_text(ConvSetup("A", "B")), upstream_text(ConvSetup("A", "B", upstream="symbolic", upstream_name="D"))
    ('1', 'D_{uv}')
    """
    if c.upstream == "ones":
        return "1"
    return f"{c.upstream_name if c.upstream == 'symbolic' else c.upstream}_{{uv}}"


def _check_keys(data: dict[str, Any], lines: dict[str, int], where: str) -> None:
    """Every key of every section is one the spec language knows (:data:`KEYS`); each part's task is a task."""
    from symconv.tasks import registry  # the task modules import this module

    known = {schema: tuple(dict.fromkeys(names + tuple(key for t in registry().values()
                                                      for key in t.keys.get(schema, ()))))
             for schema, names in KEYS.items()}

    def check(section: Any, path: str, schema: str) -> None:
        if isinstance(section, dict):
            for key in section:
                if str(key) not in known[schema]:
                    raise unknown_name(where, lines, path, str(key), known[schema])

    check(data, "", "")
    for name in ("convolution", "pooling", "grading"):
        check(data.get(name), name, name)
    grading = data.get("grading")
    for name in ("tolerance", "feedback"):
        check(grading.get(name) if isinstance(grading, dict) else None, f"grading.{name}", f"grading.{name}")
    problems = data.get("problems")
    for k, problem in enumerate(problems if isinstance(problems, list) else []):
        check(problem, f"problems[{k}]", "problems[]")
        parts = problem.get("parts") if isinstance(problem, dict) else None
        for j, part in enumerate(parts if isinstance(parts, list) else []):
            check(part, f"problems[{k}].parts[{j}]", "problems[].parts[]")
            task = part.get("task") if isinstance(part, dict) else None
            if isinstance(task, str) and task not in registry():
                raise unknown_name(where, lines, f"problems[{k}].parts[{j}].task", task, registry(), "task")


def load_spec(source: str | Path | dict[str, Any] | None = None) -> Spec:
    """Load and validate a spec from a path (YAML, TOML or JSON), a dict, or None for the built-in homework."""
    if isinstance(source, Spec):
        return source
    data, where, lines = read_spec_data(source)
    return _build(data, where, lines)


def _get(data: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    if key not in data:
        if default is ...:
            raise SpecError(where, f"missing key {key!r}")
        return default
    value = data[key]
    if not isinstance(value, kind):
        raise SpecError(where, f"{key!r} has the wrong type ({type(value).__name__})")
    return value


def _build(data: dict[str, Any], where: str, lines: dict[str, int] | None = None) -> Spec:
    lines = lines or {}
    _check_keys(data, lines, where)
    try:
        matrices = _matrices({k: v for k, v in _get(data, "matrices", where, dict, {}).items()
                              if not ("layers" in data and is_array(v))}, where, lines)   # arrays: layers: reads them
        conv = _get(data, "convolution", where, dict, None)
        setup = None if conv is None else ConvSetup(
            input=_matrix_name(conv, "input", matrices, where), kernel=_matrix_name(conv, "kernel", matrices, where),
            output=str(conv.get("output", "C")), stride=pair("convolution.stride", conv.get("stride", 1), 1),
            padding=pair("convolution.padding", conv.get("padding", 0), 0),
            dilation=pair("convolution.dilation", conv.get("dilation", 1), 1),
            upstream=str(conv.get("upstream", "ones")), upstream_name=str(conv.get("upstream_name", "G")),
            loss=str(conv.get("loss", "E")), index=str(conv.get("index", "2d")),
            mode=str(conv.get("mode", CONV_MODES[0])))
        if setup is not None and setup.mode not in CONV_MODES:
            raise unknown_name(where, lines, "convolution.mode", setup.mode, CONV_MODES, "mode")
        names = [*((f"matrices.{n}", n) for n in matrices)] + ([("convolution.output", setup.output)] if setup else [])
        for key, name in names:
            if not NAME.fullmatch(name):   # names become symbols and reach LaTeX: letters only
                raise SpecError(where, f"{key}: a matrix name must be letters only, like A or C")
        if setup is not None:
            _check_conv_names(setup, matrices, where)
        pool = _get(data, "pooling", where, dict, None)
        pooling = None
        if pool is not None:
            kernel = pair("pooling.kernel_size", _get(pool, "kernel_size", where, (int, list)), 1)
            pool_input = str(pool.get("input", setup.output if setup else ""))
            if not NAME.fullmatch(pool_input):
                raise SpecError(where, "pooling.input: a matrix name must be letters only, like A or C")
            pooling = PoolSetup(input=pool_input, kernel_size=kernel,
                                stride=pair("pooling.stride", pool.get("stride", list(kernel)), 1),
                                padding=pair("pooling.padding", pool.get("padding", 0), 0))
    except ConfigError as err:
        raise SpecError(where, str(err)) from None
    network = parse_network(data["network"], where, lines) if "network" in data else None
    layers = parse_layers(data.get("layers"), {**(data.get("matrices") or {}), **matrices}, where, lines)
    _check_fits(matrices, setup, pooling, where)
    grading = _get(data, "grading", where, dict, {})
    tol = _get(grading, "tolerance", where, dict, {})
    rubric = {str(k): _number(v, f"grading.rubric.{k}", where) for k, v in
              _get(grading, "rubric", where, dict, {}).items()}
    for code, cost in rubric.items():
        if not 0 <= cost <= 1:
            raise SpecError(where, f"grading.rubric.{code} must be a fraction from 0 to 1")
    problems = tuple(_problem(p, f"{where}: problems[{k}]") for k, p in
                     enumerate(_get(data, "problems", where, list)))
    ids = [part.id for prob in problems for part in prob.parts]
    if len(set(ids)) != len(ids):
        raise SpecError(where, "part ids must be unique")
    _check_needs(problems, {"convolution": setup, "pooling": pooling, "network": network, "layers": layers}, where)
    return Spec(name=str(_get(data, "name", where, str)), course=str(data.get("course", "")),
                assignment=str(data.get("assignment", "")), date=str(data.get("date", "")),
                matrices=matrices, convolution=setup, pooling=pooling, problems=problems, network=network,
                layers=layers,
                tolerance=(_number(tol.get("rel", 1e-6), "grading.tolerance.rel", where),
                           _number(tol.get("abs", 1e-9), "grading.tolerance.abs", where)), rubric=rubric, source=where,
                seed=_seed(grading, where), reveal=_reveal(grading, where),
                document=dict(_get(data, "document", where, dict, {})), lines=lines)


def _check_needs(problems: tuple[Problem, ...], sections: dict[str, Any], where: str) -> None:
    """Each part's task has the spec sections it needs (a ``max-pool`` part needs ``pooling:``)."""
    from symconv.tasks import task

    for problem in problems:
        for part in problem.parts:
            for need in task(part.task).needs:
                if sections.get(need) is None:
                    raise SpecError(where, f"part {part.id} ({part.task}) needs a {need} section")


def _number(value: Any, key: str, where: str) -> float:
    """A finite number >= 0 (a tolerance or a rubric cost); a numeric string too, since YAML reads ``1e-6`` (no
    dot) as a string. Anything else is a one-line SpecError, not a ValueError from float().

    >>> _number("1e-6", "grading.tolerance.rel", "<spec>")
    1e-06
    """
    try:
        number = float(value) if isinstance(value, str | int | float) and not isinstance(value, bool) else math.nan
    except ValueError:
        number = math.nan
    if not 0 <= number < math.inf:
        raise SpecError(where, f"{key} must be a finite number >= 0, not {one_line(repr(value))}")
    return number


def _reveal(grading: dict[str, Any], where: str) -> bool:
    """grading.feedback.reveal (default true): false for a course that reuses its problems."""
    shown = _get(_get(grading, "feedback", where, dict, {}), "reveal", where, bool, True)
    return shown


def _seed(grading: dict[str, Any], where: str) -> str:
    """grading.seed, or the first line of grading.seed_file (relative to the spec's folder); "" when neither is
    set (the grader then derives a seed from the spec's content)."""
    if "seed" in grading:
        return str(_get(grading, "seed", where, (str, int)))
    if "seed_file" not in grading:
        return ""
    path = Path(str(grading["seed_file"]))
    if not path.is_absolute() and Path(where).is_file():
        path = Path(where).parent / path
    try:
        return path.read_text(encoding="utf-8").strip().splitlines()[0]
    except (OSError, UnicodeDecodeError, IndexError):
        raise SpecError(where, f"grading.seed_file: cannot read a seed from {path}") from None


def _shape(shape: tuple[int, ...]) -> str:
    return f"{shape[0]}x{shape[1]}"


def _check_fits(matrices: dict[str, sympy.Matrix], conv: ConvSetup | None, pool: PoolSetup | None,
                where: str) -> None:
    """The kernel fits its padded input and the pooling window its padded pooled input, along both axes (the
    engine's own size rules, symconv.sizes), so no spec reaches the engine only to fail there.

    >>> load_spec({"name": "x", "matrices": {"A": [[1, 2]], "B": [[1, 2, 3]]}, "problems": [],
    ...            "convolution": {"input": "A", "kernel": "B"}})
    Traceback (most recent call last):
    ...
    symconv.errors.SpecError: <spec>: convolution: kernel B (1x3) over input A (1x2) with padding 0, dilation 1: \
kernel_size: effective kernel d*(k-1)+1 = 3 must be <= padded input i+2p = 2 (got 3)
    """
    out: tuple[int, ...] = ()
    if conv is not None:
        out = _conv_output(matrices, conv, where)
        if conv.upstream in matrices and matrices[conv.upstream].shape != out:
            raise SpecError(where, f"convolution.upstream: {conv.upstream} is {_shape(matrices[conv.upstream].shape)}"
                                   f" but the upstream gradient has the output's shape, {_shape(out)}")
    if pool is None:
        return
    if conv is not None and pool.input == conv.output:
        shape = out
        if matrices[conv.input].free_symbols or matrices[conv.kernel].free_symbols:   # max of symbols: undecided
            raise SpecError(where, f"pooling: its input {conv.output} is symbolic (the convolution has symbolic "
                                   "entries); pooling needs numbers")
    elif pool.input in matrices:
        shape = matrices[pool.input].shape
        if matrices[pool.input].free_symbols:
            raise SpecError(where, f"pooling: its input {pool.input} is symbolic; pooling needs numbers")
    else:
        output = f"the convolution output {conv.output} " if conv is not None else "a convolution output "
        raise SpecError(where, f"pooling.input {pool.input!r} is neither {output}"
                               f"nor one of the matrices ({', '.join(matrices)})")
    try:
        for a in (0, 1):
            pool_output_size(shape[a], pool.kernel_size[a], stride=pool.stride[a], padding=pool.padding[a])
    except ConfigError as err:
        raise SpecError(where, f"pooling: window {_shape(pool.kernel_size)} over its input {pool.input} "
                               f"({_shape(shape)}) with padding {_show(pool.padding)}: {err}") from None


def _conv_output(matrices: dict[str, sympy.Matrix], conv: ConvSetup, where: str) -> tuple[int, ...]:
    """The convolution output's shape, or a SpecError saying why the kernel does not fit its padded input."""
    x, w = matrices[conv.input], matrices[conv.kernel]
    try:
        return tuple(output_size(x.shape[a], w.shape[a], padding=conv.padding[a], stride=conv.stride[a],
                                dilation=conv.dilation[a]) for a in (0, 1))
    except ConfigError as err:
        raise SpecError(where, f"convolution: kernel {conv.kernel} ({_shape(w.shape)}) over input {conv.input} "
                               f"({_shape(x.shape)}) with padding {_show(conv.padding)}, dilation "
                               f"{_show(conv.dilation)}: {err}") from None


def _matrices(section: dict[str, Any], where: str, lines: dict[str, int]) -> dict[str, sympy.Matrix]:
    """The spec's matrices (:func:`symconv.matrices.spec_matrix`: numbers, names such as ``w_{11}``, or
    ``symbolic RxC``); a bad one is a one-line SpecError with its line and the entry's position."""
    matrices = {}
    for name, value in section.items():
        key = f"matrices.{name}"
        try:
            matrices[str(name)] = spec_matrix(value, key)
        except SpecError as err:
            line = lines.get(key)
            raise SpecError(where, (f"line {line}: " if line else "") + str(err)) from None
    return matrices


#: What ``convolution.mode`` may say the layer computes: cross-correlation (PyTorch's conv2d, the default) or true
#: convolution (the kernel rotated by 180 degrees, as in signal processing and Goodfellow et al.).
CONV_MODES = ("cross-correlation", "convolution")

#: How ``convolution.index`` may name a matrix's entries: ``x_{11}`` (2d, the default) or ``x1`` ... (flat).
INDEX_NAMINGS = ("2d", "flat")


def _check_conv_names(c: ConvSetup, matrices: dict[str, sympy.Matrix], where: str) -> None:
    """The convolution's upstream (ones, symbolic or a matrix's name), its names and its index naming."""
    if c.upstream not in ("ones", "symbolic") and c.upstream not in matrices:
        raise SpecError(where, f"convolution.upstream must be 'ones', 'symbolic' or the name of one of the matrices "
                               f"({', '.join(matrices)}), not {one_line(c.upstream)!r}")
    for key, name in (("upstream_name", c.upstream_name), ("loss", c.loss)):
        if not NAME.fullmatch(name):
            raise SpecError(where, f"convolution.{key}: a name must be letters only, like G or L")
    taken = {c.input, c.kernel, c.output}
    if c.upstream == "symbolic" and c.upstream_name in taken:
        raise SpecError(where, f"convolution.upstream_name {c.upstream_name!r} is already the name of the input, "
                               "the kernel or the output")
    if c.loss in taken | ({c.upstream_name} if c.upstream == "symbolic" else set()):
        raise SpecError(where, f"convolution.loss {c.loss!r} is already the name of a matrix of the convolution")
    if c.index not in INDEX_NAMINGS:
        raise SpecError(where, f"convolution.index must be {' or '.join(INDEX_NAMINGS)}, not {one_line(c.index)!r}")


def _matrix_name(conv: dict[str, Any], key: str, matrices: dict[str, Any], where: str) -> str:
    name = str(conv.get(key, ""))
    if name not in matrices:
        raise SpecError(where, f"convolution.{key} must name one of the matrices ({', '.join(matrices)})")
    return name


def _problem(data: Any, where: str) -> Problem:
    if not isinstance(data, dict):
        raise SpecError(where, "must be a mapping")
    parts = []
    for k, p in enumerate(_get(data, "parts", where, list)):
        w = f"{where}.parts[{k}]"
        if not isinstance(p, dict):
            raise SpecError(w, "must be a mapping")
        task = _get(p, "task", w, str)
        points = _get(p, "points", w, (int, float))
        if not 0 <= points < math.inf:
            raise SpecError(w, "points must be a finite number >= 0")
        options = {str(k): v for k, v in p.items() if k not in KEYS["problems[].parts[]"]}  # checked: Task.keys
        parts.append(Part(str(_get(p, "id", w, (str, int, float))), task, float(points), str(p.get("text", "")),
                          reveal=_get(p, "reveal", w, bool, True), options=options))
    return Problem(str(_get(data, "id", where, (str, int, float))), str(data.get("title", "")),
                   str(data.get("text", "")), tuple(parts))
