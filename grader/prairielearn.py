r"""A spec as a PrairieLearn question: ``question_files(data) -> {relative path: text}`` (pure; ``symconv export
prairielearn SPEC DIR`` writes them), and the ``generate``/``grade`` that the exported ``server.py`` calls.

The question directory follows PrairieLearn's documented question format (PrairieLearn/PrairieLearn:
docs/question/overview.md for ``info.json``, docs/question/template.md for ``question.html``, docs/question/server.md
for ``server.py`` and the ``data`` dictionary, apps/prairielearn/elements/pl-string-input for the input element):

- ``info.json``: ``uuid`` (required; derived from the spec's name with uuid5, so a re-export keeps the question's
  identity and its students' records), ``title``, ``topic``, ``tags``, ``type: "v3"``, and ``singleVariant: true``
  when the spec has no ``variants:`` section (every variant would be the same problem).
- ``question.html``: a Mustache template. It holds no string of the spec: every text (titles, problem and part text
  with the placeholders filled for the variant, the input matrices as LaTeX for MathJax) is in ``data["params"]``
  and reaches the page through double braces, which HTML-escape it, so a spec's ``<`` or ``{{`` is text, never
  markup or template. One ``<pl-string-input>`` per part, or per field of a part whose task has answer-sheet fields
  (the task registry's ``Task.answer_fields``: ``A_{11}``..., ``max``/``avg``/``lp``), listed from ``params`` by
  Mustache sections because a drawn shape changes the fields' count. Each part's feedback is shown in a
  ``<pl-submission-panel>`` from ``data["feedback"][name]`` (pl-string-input shows a score badge from
  ``data["partial_scores"][name]["score"]`` but never its ``feedback``). Answers are text, read by symconv's parser:
  ``<pl-matrix-input>`` is not used because it accepts numbers only (a symbolic upstream's gradient is a matrix of
  sums of symbols) and grades by its own comparison, without per-entry diagnoses.
- ``spec.json``: the spec's data; ``server.py``: two functions that call :func:`generate` and :func:`grade` here
  with ``data["options"]["question_path"]/spec.json``, so the question's logic is the installed symconv's.

``generate(data)`` draws the variant from ``data["variant_seed"]`` (PrairieLearn's per-variant seed, an integer the
server draws and never shows to students): ``symconv.variants.variant_data(spec data, student=str(seed),
secret=SEED_LABEL)``. No course secret travels with the question: the seed is already unpredictable, and a secret
copied into a course repository would be readable by everyone who can edit the course (the course secret never
goes into an output). It stores the texts in ``data["params"]`` and, in ``params["symconv"]["drawn"]``, the drawn
inputs themselves, so ``grade`` grades the problem the student saw even if a later symconv drew differently. No
``data["correct_answers"]`` is set: pl-string-input would grade by string equality with it.

``grade(data)`` reads ``data["submitted_answers"]``, grades them with :func:`grader.grade` against the variant's
spec, and sets ``data["partial_scores"][name] = {"score", "weight", "feedback"}`` per part (the weight is the part's
points as an integer), ``data["feedback"][name]`` (the grader's feedback: per-entry credit and diagnoses) and
``data["score"]`` (points earned / points possible). It never raises on a student's answer. An answer the grader
cannot read is not a PrairieLearn format error (``data["format_errors"]`` would make the whole submission invalid
and ungraded until the student rewrote it in notation the parser knows, and correct maths in unsupported notation
could then never be submitted): the part scores 0 for now and its feedback says a person will read it, as in
``symconv grade``; the instructor settles it with PrairieLearn's manual grading.

>>> from symconv.spec import read_spec_data
>>> files = question_files(read_spec_data(None)[0])
>>> sorted(files), json.loads(files["info.json"])["uuid"] == json.loads(question_files(
...     read_spec_data(None)[0])["info.json"])["uuid"]
(['info.json', 'question.html', 'server.py', 'spec.json'], True)
>>> [i.name for i in inputs(load_spec())][:4]
['p1_1a', 'p1_1b', 'p1_1c', 'p1_1d__A_11']
"""

from __future__ import annotations

import functools
import json
import math
import re
import uuid
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from grader.grading import grader_for, raw_text
from grader.result import NEEDS_REVIEW, PartResult, Result
from symconv.errors import SpecError
from symconv.latex import latex
from symconv.spec import Part, Spec, load_spec
from symconv.unicode import from_latex

SPEC_FILE = "spec.json"
#: variant_data's ``secret`` argument: a public label, since PrairieLearn's variant_seed is the hidden randomness.
SEED_LABEL = "prairielearn-variant-seed"
#: The namespace of the questions' uuid5 (fixed: changing it would give every exported question a new identity).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "symconv:prairielearn-question")
SUMMARY = "symconv"   # data["feedback"] key of the whole question's summary (part keys start with p)
CHECKED_SEEDS = 3     # variants drawn at export, so a variants: section that cannot be drawn fails there
HINT = (r"Answer in LaTeX or plain text: a size as <code>3 \times 3</code>, a matrix as <code>[[1, 2], [3, 4]]</code>"
        r" or <code>\begin{bmatrix} 1 &amp; 2 \\ 3 &amp; 4 \end{bmatrix}</code>, a formula as "
        r"<code>\frac{a}{b}</code>, a module as <code>nn.Name</code>. A blank box is no answer.")


@dataclass(frozen=True)
class Input:
    """One answer box: its ``answers-name`` (letters, digits and _, unique), the part it answers, the field of
    that part's answer (None: the whole answer) and its label."""

    name: str
    part: str
    field: str | None = None
    label: str = ""


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def _unique(names: list[str]) -> list[str]:
    """``names`` made distinct in order: a repeat gets ``_2``, ``_3``... (never a name already taken)."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, k = name, 1
        while candidate in seen:
            k += 1
            candidate = f"{name}_{k}"
        seen.add(candidate)
        out.append(candidate)
    return out


def part_keys(spec: Spec) -> dict[str, str]:
    """Each part's key in ``params``, ``partial_scores`` and ``feedback``: ``p`` + its id as letters, digits, _.

    >>> part_keys(load_spec())["1.1d-matrix"]
    'p1_1d_matrix'
    """
    ids = [p.id for p in spec.parts]
    return dict(zip(ids, _unique([f"p{_slug(i)}" for i in ids]), strict=True))


def _fields(spec: Spec, part: Part) -> list[str]:
    """The part's answer-sheet fields in this variant (the task registry's; none: one answer for the part)."""
    from symconv.tasks import task

    return task(part.task).answer_fields(spec, part)


def _label(field: str) -> str:
    return field if re.fullmatch(r"[A-Za-z]+", field) else f"${field}$"


def inputs(spec: Spec) -> list[Input]:
    """The answer boxes of ``spec``'s variant, in order: one per part, or one per field of a part with fields
    (``<part key>__<field>``: a part key never holds ``__``)."""
    keys, out = part_keys(spec), []
    for part in spec.parts:
        fields = _fields(spec, part)
        if not fields:
            out.append(Input(keys[part.id], part.id, None, part.id))
            continue
        names = _unique([f"{keys[part.id]}__{_slug(f) or 'field'}" for f in fields])
        out += [Input(n, part.id, f, _label(f)) for n, f in zip(names, fields, strict=True)]
    return out


def _html_text(spec: Spec, text: str) -> str:
    """A spec text for the page: placeholders filled; prose LaTeX (``\\texttt{...}``) as plain text; maths between
    dollars kept for MathJax. Escaped later, by the template's double braces."""
    pieces = re.split(r"(\$\$.+?\$\$|\$.+?\$)", spec.fill(text), flags=re.S)
    return "".join(p if p.startswith("$") or "\\" not in p else from_latex(p, math=False) for p in pieces)


def _points(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


def question_params(spec: Spec) -> dict[str, Any]:
    """``data["params"]`` for the variant ``spec``: title, input matrices, headings, texts, part names, fields.

    >>> params = question_params(load_spec())
    >>> params["name"]["p1_1a"], params["heading"]["q1_1"], params["fields"]["p1_2a"][0]
    ('1.1a', 'Problem 1.1: Convolution', {'name': 'p1_2a__max', 'label': 'max'})
    """
    keys = part_keys(spec)
    problems = _unique([f"q{_slug(p.id)}" for p in spec.problems])
    params: dict[str, Any] = {
        "title": spec.assignment or spec.name, "course": spec.course,
        "matrices": [{"latex": f"{name} = {latex(m)}"} for name, m in spec.matrices.items()],
        "heading": {}, "text": {}, "name": {}, "whole": {}, "fields": {}}
    for key, problem in zip(problems, spec.problems, strict=True):
        params["heading"][key] = f"Problem {problem.id}" + (f": {problem.title}" if problem.title else "")
        params["text"][key] = _html_text(spec, problem.text)
    for part in spec.parts:
        key = keys[part.id]
        params["heading"][key] = f"{part.id} ({_points(part.points)})"
        params["text"][key] = _html_text(spec, part.text)
        params["name"][key] = part.id
    for box in inputs(spec):
        if box.field is None:
            params["whole"][box.name] = True
        else:
            params["fields"].setdefault(keys[box.part], []).append({"name": box.name, "label": box.label})
    return params


# The page, in pieces: KEY is a problem's or part's key (letters, digits, _), SHAPE the box of a whole answer.
HEAD_HTML = """{{! Written by `symconv export prairielearn`: export again rather than edit. The texts are in params. }}
<pl-question-panel>
  <h3>{{params.title}}</h3>
  {{#params.matrices}}<p>$${{latex}}$$</p>{{/params.matrices}}
  <p><small>HINT</small></p>
</pl-question-panel>
"""
PROBLEM_HTML = """
<pl-question-panel>
  <h4>{{params.heading.KEY}}</h4>
  <p>{{params.text.KEY}}</p>
</pl-question-panel>
"""
# A variant has one box for the part (params.whole.KEY) or one per field (params.fields.KEY): params say which.
PART_HTML = """<pl-question-panel>
  <p><strong>{{params.heading.KEY}}</strong> {{params.text.KEY}}</p>
</pl-question-panel>
{{#params.whole.KEY}}<pl-string-input answers-name="KEY" label="{{params.name.KEY}}" allow-blank="true" \
show-help-text="false" SHAPE></pl-string-input>{{/params.whole.KEY}}
{{#params.fields.KEY}}<pl-string-input answers-name="{{name}}" label="{{label}}" allow-blank="true" \
show-help-text="false" size="30"></pl-string-input><br>{{/params.fields.KEY}}
<pl-submission-panel>
  <pre class="symconv-feedback" style="white-space: pre-wrap">{{feedback.KEY}}</pre>
</pl-submission-panel>
"""
TAIL_HTML = """
<pl-submission-panel>
  <p>{{feedback.KEY}}</p>
</pl-submission-panel>
"""


def question_html(spec: Spec) -> str:
    """The Mustache template of the question: only keys of ``params`` and ``feedback`` and the answer names,
    never a spec string (see the module docstring).

    >>> page = question_html(load_spec())
    >>> page.count("<pl-string-input"), "{{#params.fields.p1_1d}}" in page
    (18, True)
    """
    from symconv.tasks import task

    keys = part_keys(spec)
    problems = _unique([f"q{_slug(p.id)}" for p in spec.problems])
    out = [HEAD_HTML.replace("HINT", HINT)]
    for key, problem in zip(problems, spec.problems, strict=True):
        out.append(PROBLEM_HTML.replace("KEY", key))
        for part in problem.parts:
            shape = 'multiline="true"' if task(part.task).reference is not None else 'size="50"'
            out.append(PART_HTML.replace("KEY", keys[part.id]).replace("SHAPE", shape))
    out.append(TAIL_HTML.replace("KEY", SUMMARY))
    return "".join(out)


def info_json(spec: Spec, single_variant: bool) -> str:
    """``info.json``: a uuid5 of the spec's name (stable across exports), title, topic, tags, type v3.

    >>> json.loads(info_json(load_spec(), True))["uuid"] == str(uuid.uuid5(NAMESPACE, "homework"))
    True
    """
    info: dict[str, Any] = {"uuid": str(uuid.uuid5(NAMESPACE, spec.name)), "title": spec.assignment or spec.name,
                            "topic": spec.course or "symconv",
                            "tags": ["symconv", *sorted({p.task for p in spec.parts})], "type": "v3"}
    if single_variant:
        info["singleVariant"] = True
    return json.dumps(info, indent=2, ensure_ascii=False) + "\n"


SERVER_PY = '''"""PrairieLearn server code of a symconv question (written by `symconv export prairielearn`: export again
rather than edit). generate(data) draws this variant's problem from data["variant_seed"]; grade(data) grades the
submitted answers with symconv's grader. Both need symconv installed in PrairieLearn's Python environment."""

from pathlib import Path

from grader import prairielearn

SPEC = "spec.json"


def _spec(data):
    folder = data.get("options", {}).get("question_path") or Path(__file__).resolve().parent
    return Path(folder) / SPEC


def generate(data):
    prairielearn.generate(data, _spec(data))


def grade(data):
    prairielearn.grade(data, _spec(data))
'''


def _without_variants(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "variants"}


def _draw(data: dict[str, Any], seed: str) -> dict[str, Any]:
    """The variant of ``seed`` (the spec's data itself without a ``variants:`` section), as JSON data."""
    if "variants" not in data:
        return data
    from symconv.variants import variant_data

    return json.loads(json.dumps(variant_data(data, seed, SEED_LABEL)))


def question_files(data: dict[str, Any], where: str = "<spec>") -> dict[str, str]:
    """The question directory of the spec ``data`` (its raw data, as ``symconv.spec.read_spec_data`` reads
    it): ``{relative path: text}``. A spec the loader refuses, a ``variants:`` section that cannot be drawn, or a
    ``grading.seed_file`` (a path that would not travel with the question) is a SpecError."""
    try:
        data = json.loads(json.dumps(data, default=str))   # YAML dates become text; spec.json must read back equal
    except (TypeError, ValueError, RecursionError) as err:
        raise SpecError(where, f"cannot be written as JSON ({err})") from None
    grading = data.get("grading")
    if isinstance(grading, dict) and "seed_file" in grading:
        raise SpecError(where, "grading.seed_file does not travel with a PrairieLearn question; give grading.seed "
                               "or neither")
    spec = load_spec(_without_variants(data))
    for seed in range(CHECKED_SEEDS):
        load_spec(_draw(data, str(seed)))
    return {"info.json": info_json(spec, single_variant="variants" not in data), "question.html": question_html(spec),
            "server.py": SERVER_PY, SPEC_FILE: json.dumps(data, indent=2, ensure_ascii=False) + "\n"}


@functools.lru_cache(maxsize=16)
def _read(path: str, mtime: int) -> str:
    return Path(path).read_text(encoding="utf-8")


def _spec_data(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    data = json.loads(_read(str(path), path.stat().st_mtime_ns))
    if not isinstance(data, dict):
        raise SpecError(str(path), "the top level must be a mapping")
    return data


def generate(data: dict[str, Any], spec_path: str | Path) -> None:
    """PrairieLearn's ``generate(data)``: draw the variant of ``data["variant_seed"]`` and fill ``data["params"]``
    (see the module docstring)."""
    base = _spec_data(spec_path)
    variant = _draw(base, str(data["variant_seed"]))
    spec = load_spec(_without_variants(variant))
    params = data.setdefault("params", {})
    params.update(question_params(spec))
    default = _without_variants(base)
    params["symconv"] = {"drawn": {k: v for k, v in variant.items() if default.get(k) != v}}


def question_spec(spec_path: str | Path, params: Any) -> dict[str, Any]:
    """The spec data of the variant that ``generate`` drew: the question's spec.json with the drawn inputs it
    stored in ``params`` in place (so a later symconv that draws differently grades the problem the student saw).

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "spec.json"
    >>> _ = path.write_text(json.dumps({"name": "x", "matrices": {"A": [[1]]}, "variants": {}}))
    >>> question_spec(path, {"symconv": {"drawn": {"matrices": {"A": [[7]]}}}})
    {'name': 'x', 'matrices': {'A': [[7]]}}
    """
    base = _spec_data(spec_path)
    stored = params.get("symconv") if isinstance(params, dict) else None
    drawn = stored.get("drawn") if isinstance(stored, dict) else None
    return {**_without_variants(base), **(drawn if isinstance(drawn, dict) else {})}


def submitted(spec: Spec, answers: Any) -> dict[str, Any]:
    """The grader's answers from ``data["submitted_answers"]``: a part's text, or a mapping field -> text for a
    part with fields; blank boxes are no answer, anything that is not text is kept as JSON text for the reader.

    >>> submitted(load_spec(), {"p1_1a": "3x3", "p1_2a__max": "nn.MaxPool2d", "p1_2a__avg": " ", "p1_1b": None})
    {'1.1a': '3x3', '1.2a': {'max': 'nn.MaxPool2d'}}
    """
    answers = answers if isinstance(answers, dict) else {}
    out: dict[str, Any] = {}
    for box in inputs(spec):
        value = answers.get(box.name)
        text = "" if value is None else raw_text(value)
        if not text.strip():
            continue
        if box.field is None:
            out[box.part] = text
        else:
            out.setdefault(box.part, {})[box.field] = text
    return out


def weights(spec: Spec) -> dict[str, int]:
    """Each part's points as an integer weight (PrairieLearn's weights are integers): all scaled by one factor.

    >>> weights(load_spec())["1.2a"], weights(load_spec())["1.1c"]
    (3, 6)
    """
    points = {p.id: Fraction(p.points).limit_denominator(1000) for p in spec.parts}
    scale = math.lcm(*(f.denominator for f in points.values())) if points else 1
    return {k: int(f * scale) for k, f in points.items()}


def grade(data: dict[str, Any], spec_path: str | Path) -> None:
    """PrairieLearn's ``grade(data)``: grade ``data["submitted_answers"]`` against the variant in ``data["params"]``
    and set ``partial_scores``, ``feedback`` and ``score`` (see the module docstring). Never raises on an answer."""
    grader = grader_for(question_spec(spec_path, data.get("params")))
    spec = grader.spec
    student = f"variant {data.get('variant_seed', '')}"
    try:
        result = grader.grade({"student": student, "answers": submitted(spec, data.get("submitted_answers"))})
    except Exception as error:  # noqa: BLE001 (the grader contains its checkers' faults; this is the last guard)
        reason = f"could not grade this submission (internal error: {type(error).__name__}); a person will read it"
        result = Result(student, [PartResult(p.id, 0.0, p.points, f"{p.id}: {reason}.", status=NEEDS_REVIEW)
                                  for p in spec.parts])
    keys, weight = part_keys(spec), weights(spec)
    scores, feedback = data.setdefault("partial_scores", {}), data.setdefault("feedback", {})
    for p in result.parts:
        key = keys[p.part]
        scores[key] = {"score": p.score / p.max_score if p.max_score else 0.0, "weight": weight[p.part],
                       "feedback": p.feedback}
        feedback[key] = p.feedback
    review = [p.part for p in result.parts if p.status == NEEDS_REVIEW]
    summary = f"{result.score:g} / {result.max_score:g} points"
    if review:
        summary += (f". A person will read your answers to {', '.join(review)} and grade them by hand; what the "
                    "grader could not read earns nothing until then.")
    feedback[SUMMARY] = summary
    data["score"] = result.score / result.max_score if result.max_score else 0.0


__all__ = ["Input", "generate", "grade", "info_json", "inputs", "part_keys", "question_files", "question_html",
           "question_params", "question_spec", "submitted", "weights"]
