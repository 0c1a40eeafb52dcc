"""symconv.variants: the ``variants:`` section's schema, the deterministic per-student draw, the constraints
checked on the drawn problem (and redrawn), the course secret, and every variant's references verified."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest

from symconv.errors import SpecError
from symconv.pooling import max_pool2d_routes
from symconv.solution import derive_solution
from symconv.spec import TEMPLATES, load_spec
from symconv.variants import (
    CONSTRAINTS,
    SecretError,
    draw,
    fingerprint,
    has_variants,
    load_secret,
    parse_variants,
    read_spec_data,
    variant_data,
    variant_spec,
)

HOMEWORK = TEMPLATES / "homework-variants.yaml"
SECRET = "a course secret of some length"
ROOT = Path(__file__).resolve().parent.parent


def homework() -> dict:
    return copy.deepcopy(read_spec_data(HOMEWORK)[0])


def with_variants(**section) -> dict:
    data = homework()
    data["variants"] = section
    return data


def pool_only(x, entries, **variants) -> dict:
    """A pooling spec over X (no convolution) whose X is drawn from ``entries``."""
    return {"name": "pool", "matrices": {"X": x}, "pooling": {"input": "X", "kernel_size": 2},
            "problems": [{"id": "1", "parts": [{"id": "a", "task": "max-pool", "points": 1}]}],
            "variants": {"matrices": {"X": {"entries": entries}}, **variants}}


# --- determinism -------------------------------------------------------------------------------------------------

def test_same_student_same_variant_and_the_base_problem_stays_the_default():
    data = homework()
    assert variant_data(data, "s001", SECRET) == variant_data(copy.deepcopy(data), "s001", SECRET)
    assert data == homework()                                # pure: the spec's data is not changed
    assert "variants" not in variant_data(data, "s001", SECRET)
    default = load_spec(HOMEWORK)                            # load_spec ignores variants: the instructor's problem
    assert default.matrices == load_spec(None).matrices


@pytest.mark.parametrize("change", [
    lambda d: d.update(problems=d["problems"][:1]),          # the text and points: no variant changes
    lambda d: d["grading"].update(tolerance={"rel": 1e-3, "abs": 0}),
    lambda d: d.update(date="Spring 2027")])
def test_correcting_text_or_grading_changes_no_variant(change):
    data = homework()
    changed = homework()
    change(changed)
    assert variant_data(changed, "s7", SECRET)["matrices"] == variant_data(data, "s7", SECRET)["matrices"]


@pytest.mark.parametrize("change", [
    lambda d: d.update(name="homework-2"),
    lambda d: d["variants"]["matrices"]["A"].update(entries=[0, 6])])
def test_changing_the_inputs_or_the_name_changes_the_variants(change):
    data = homework()
    changed = homework()
    change(changed)
    assert variant_data(changed, "s7", SECRET)["matrices"] != variant_data(data, "s7", SECRET)["matrices"]


def test_the_secret_and_the_student_both_matter():
    data = homework()
    one = variant_data(data, "s001", SECRET)["matrices"]
    assert variant_data(data, "s002", SECRET)["matrices"] != one
    assert variant_data(data, "s001", SECRET + "!")["matrices"] != one
    assert variant_data(data, " s001 ", SECRET)["matrices"] == one      # the id as the roster gives it, trimmed


def test_same_variant_in_a_fresh_process():
    """Python's hash() is salted per process; the draw must not depend on it (nor on anything else there)."""
    code = ("import sys; from symconv.variants import variant_spec, fingerprint; "
            f"print(fingerprint(variant_spec({str(HOMEWORK)!r}, 's042', {SECRET!r})))")
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                           env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.strip() == fingerprint(variant_spec(HOMEWORK, "s042", SECRET))


def test_400_students_400_different_problems_and_answers():
    """Over 400 ids of the homework no two problems (fingerprints) and no two reference answers (C and ∂E/∂A,
    from the engine's conv2d and conv2d_grad as derive_solution computes them) are alike."""
    from symconv.conv import conv2d, conv2d_grad

    data, where, lines = read_spec_data(HOMEWORK)
    prints, answers = set(), set()
    for k in range(400):
        spec = draw(data, f"student{k:03d}", SECRET, where=where, lines=lines).spec
        prints.add(fingerprint(spec))
        A, B = spec.matrices["A"], spec.matrices["B"]
        grad, _ = conv2d_grad(A, B)
        answers.add((tuple(conv2d(A, B)), tuple(grad)))
    assert len(prints) == 400 and len(answers) == 400


def test_every_sampled_variant_is_derived_and_verified_numerically(monkeypatch):
    """derive_solution checks each symbolic answer against the NumPy evaluator; count that it ran per variant."""
    import symconv.solution as solution

    calls = []
    real = solution.verify_conv2d_grad
    monkeypatch.setattr(solution, "verify_conv2d_grad", lambda *a, **k: calls.append(1) or real(*a, **k))
    for student in ("ada", "grace", "alan", "barbara", "edsger"):
        sol = derive_solution(variant_spec(HOMEWORK, student, SECRET))
        assert sol.pooled_max is not None and sol.grad_input.shape == (5, 5)
    assert len(calls) == 5


def test_fingerprints_tell_problems_apart():
    base = load_spec(HOMEWORK)
    assert fingerprint(base) == fingerprint(load_spec(HOMEWORK))
    assert fingerprint(base) != fingerprint(load_spec(TEMPLATES / "stride2-padding1.yaml"))
    data = homework()
    data["convolution"]["stride"] = 2
    assert fingerprint(load_spec({k: v for k, v in data.items() if k != "variants"})) != fingerprint(base)


# --- the schema --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("section, message", [
    ({"matrix": {}}, "variants: unknown key `matrix`; did you mean `matrices`?"),
    ({"matrices": {"A": {"entires": [0, 3]}}}, "variants.matrices.A: unknown key `entires`; did you mean `entries`?"),
    ({"matrices": {"Z": {"entries": [0, 3]}}}, "variants.matrices: unknown matrix `Z`"),
    ({"matrices": {"A": {"entries": [3, 0]}}}, "variants.matrices.A.entries must be [low, high]"),
    ({"matrices": {"A": {"entries": [0, 2.5]}}}, "variants.matrices.A.entries must be [low, high]"),
    ({"matrices": {"A": {"entries": [0, 0], "nonzero": True}}}, "holds no nonzero integer"),
    ({"matrices": {"A": {"entries": [0, 3], "nonzero": "yes"}}}, "nonzero must be true or false"),
    ({"shapes": {"A": [[5, 5]]}}, "a drawn shape needs drawn entries"),
    ({"matrices": {"A": {"entries": [0, 3]}}, "shapes": {"A": [[0, 5]]}}, "each shape must be [rows, cols]"),
    ({"matrices": {"A": {"entries": [0, 3]}}, "shapes": {"A": []}}, "must be a non-empty list"),
    ({"convolution": {"strides": [1, 2]}}, "variants.convolution: unknown key `strides`; did you mean `stride`?"),
    ({"convolution": {"stride": [0, 1]}}, "variants.convolution.stride: must be an integer >= 1 (got 0)"),
    ({"convolution": {"padding": 1}}, "variants.convolution.padding must be a non-empty list"),
    ({"pooling": {"kernel": [2]}}, "did you mean `kernel_size`?"),
    ({"constraints": ["no-pool-tie"]}, "unknown constraint `no-pool-tie`; did you mean `no-pool-ties`?"),
    ({"constraints": ["pool-ties", "no-pool-ties"]}, "contradict"),
    ({"constraints": "no-pool-ties"}, "must be a list of names"),
    ({"attempts": 0}, "variants.attempts must be an integer from 1"),
    ([1, 2], "variants must be a mapping")])
def test_bad_sections_are_one_line_errors(section, message):
    with pytest.raises(SpecError) as err:
        variant_data(with_variants(**section) if isinstance(section, dict) else {**homework(), "variants": section},
                     "s1", SECRET)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_misspelt_key_in_a_file_names_its_line(tmp_path):
    text = HOMEWORK.read_text().replace("A: {entries: [0, 5]}", "A: {entires: [0, 5]}")
    path = tmp_path / "hw.yaml"
    path.write_text(text)
    line = next(k for k, row in enumerate(text.splitlines(), 1) if "entires" in row)
    with pytest.raises(SpecError, match=rf"line {line}: variants.matrices.A: unknown key `entires`"):
        variant_spec(path, "s1", SECRET)


@pytest.mark.parametrize("section, needs", [({"constraints": ["distinct-gradient-rows"]}, "convolution")])
def test_a_constraint_needs_its_section(section, needs):
    data = pool_only([[1, 2], [3, 4]], [0, 9])
    data["variants"].update(section)
    with pytest.raises(SpecError, match=f"needs a {needs} section"):
        parse_variants(data)


def test_pooling_specs_get_no_pool_ties_unless_they_ask_for_ties():
    assert "no-pool-ties" in parse_variants(pool_only([[1, 2], [3, 4]], [0, 9])).constraints
    assert "no-pool-ties" not in parse_variants(pool_only([[1, 2], [3, 4]], [0, 9], constraints=["pool-ties"])
                                                ).constraints


# --- the constraints: redrawn when violated, an error when they never hold ----------------------------------------

def _ties(spec) -> int:
    p = spec.pooling
    return sum(len(r.ties) > 1 for row in max_pool2d_routes(spec.matrices["X"], p.kernel_size, p.stride)
               for r in row)


def test_a_tied_window_is_redrawn():
    """Over 0..1 a 2x2 window holds a single maximum in only 4 of 16 draws: most first draws violate
    no-pool-ties, and every variant still has none."""
    data = pool_only([[1, 2], [3, 4]], [0, 1])
    results = [draw(data, f"s{k}", SECRET) for k in range(30)]
    assert sum(r.attempts > 1 for r in results) >= 15
    assert all(_ties(r.spec) == 0 for r in results)


def test_ties_when_the_spec_asks_for_them():
    data = pool_only([[1, 2, 3, 4]] * 4, [0, 3], constraints=["pool-ties"])
    assert all(_ties(draw(data, f"s{k}", SECRET).spec) > 0 for k in range(10))


def _homework_with(**section) -> dict:
    data = with_variants(**section, attempts=20)
    return data


@pytest.mark.parametrize("data, constraint", [
    (_homework_with(matrices={"A": {"entries": [1, 1]}}), "no-pool-ties"),          # C all equal: every window tied
    (_homework_with(matrices={"B": {"entries": [2, 2]}}, constraints=["distinct-gradient-rows"]),
     "distinct-gradient-rows"),                                                    # a symmetric gradient
    (pool_only([[1, 2, 3], [4, 5, 6]], [0, 9], constraints=["output-at-least-2x2"], attempts=20),
     "output-at-least-2x2"),                                                       # a 2x3 map pools to 1x1
    (_homework_with(matrices={"A": {"entries": [0, 9]}}, convolution={"dilation": [3]}), "kernel-fits")])
def test_a_constraint_that_cannot_hold_is_named(data, constraint):
    with pytest.raises(SpecError, match=rf"variants: `{constraint}` \(.*\) never held in 20 draws"):
        variant_data(data, "s1", SECRET)


def test_a_section_that_draws_nothing_is_checked_once():
    data = read_spec_data(TEMPLATES / "maxpool-backprop-ties.yaml")[0]      # tied on purpose
    with pytest.raises(SpecError, match="`no-pool-ties` .* never held in the only possible draw"):
        variant_data({**data, "variants": {}}, "s1", SECRET)
    assert variant_data({**data, "variants": {"constraints": ["pool-ties"]}}, "s1", SECRET)["matrices"] == \
        data["matrices"]


@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_each_drawn_homework_meets_its_constraints(name):
    data = homework()
    data["variants"]["constraints"] = [c for c in (name, "output-at-least-2x2") if c != "pool-ties"] \
        if name != "pool-ties" else ["pool-ties"]
    data["variants"]["matrices"]["A"]["entries"] = [0, 2]    # small range: ties and repeats happen often
    for k in range(5):
        spec = draw(data, f"s{k}", SECRET).spec
        assert all(CONSTRAINTS[c].holds(spec) for c in parse_variants(data).constraints)


def test_drawn_shapes_and_configuration():
    data = homework()
    data["variants"] = {"matrices": {"A": {"entries": [0, 5]}}, "shapes": {"A": [[5, 5], [6, 6], [7, 6]]},
                        "convolution": {"stride": [1, 2], "padding": [0, 1]},
                        "constraints": ["output-at-least-2x2"]}
    seen = set()
    for k in range(40):
        spec = variant_spec(data, f"s{k}", SECRET)
        c = spec.conv
        seen.add((spec.matrices["A"].shape, c.stride, c.padding))
        assert spec.matrices["A"].shape in {(5, 5), (6, 6), (7, 6)} and c.stride in {(1, 1), (2, 2)}
        assert all(0 <= v <= 5 for v in spec.matrices["A"])
    assert len(seen) >= 6


def test_nonzero_entries():
    data = homework()
    data["variants"]["matrices"]["B"] = {"entries": [-1, 1], "nonzero": True}
    for k in range(10):
        assert all(v in (-1, 1) for v in variant_spec(data, f"s{k}", SECRET).matrices["B"])


@pytest.mark.parametrize("student", ["", "   ", "a\nb", "x" * 201, 42])
def test_bad_student_ids(student):
    with pytest.raises(SpecError, match="student id"):
        variant_data(homework(), student, SECRET)


def test_has_variants():
    assert has_variants(HOMEWORK) and has_variants(load_spec(HOMEWORK)) and not has_variants(None)
    assert not has_variants(TEMPLATES / "homework.yaml") and has_variants({"variants": {}})


@pytest.mark.parametrize("template", ["homework.yaml", "maxpool-backprop-ties.yaml"])
def test_without_a_variants_section_every_student_gets_the_default(template):
    """No section, no constraint: the ties template's default problem (tied on purpose) is every student's."""
    assert fingerprint(variant_spec(TEMPLATES / template, "s1", SECRET)) == fingerprint(load_spec(TEMPLATES / template))


# --- the secret ---------------------------------------------------------------------------------------------------

def _secret(tmp_path, text, mode=0o600) -> Path:
    path = tmp_path / "secret"
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("text, mode, message", [
    ("", 0o600, "is empty"),
    ("  \n\n", 0o600, "is empty"),
    ("s3cr3t-value", 0o644, "readable or writable by every user; chmod 600"),
    ("s3cr3t-value", 0o602, "readable or writable by every user")])
def test_unusable_secrets(tmp_path, text, mode, message):
    path = _secret(tmp_path, text, mode)
    with pytest.raises(SecretError, match=message) as err:
        load_secret(path)
    assert "s3cr3t" not in str(err.value).replace(str(path), "FILE")


def test_missing_secret_and_a_usable_one(tmp_path):
    with pytest.raises(SecretError, match="cannot read the course secret"):
        load_secret(tmp_path / "nope")
    assert load_secret(_secret(tmp_path, "  s3cr3t-value  \nsecond line\n", 0o640)) == "s3cr3t-value"
