"""Task pool-output-size: the size against torch's pooled output, every diagnosed alternative named by
grader.grade (through check_size, with the size and mistakes from the task's record), a right answer full marks in
every notation, the convolution's size not taken for the pooling's, and an unreadable answer left to a person."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from grader import grade
from grader.diagnose import CODES, cost, most_specific
from grader.result import NEEDS_REVIEW
from symconv import derive_solution
from symconv.document import build_document
from symconv.spec import TEMPLATES, load_spec
from symconv.tasks import pool_output_size, task

OVERLAP = TEMPLATES / "pool-gradients-overlap.yaml"


def size_spec(shape: tuple[int, int], kernel_size, stride, padding=0) -> dict:
    x = [[(3 * i + 5 * j) % 7 for j in range(shape[1])] for i in range(shape[0])]
    return {"name": "size", "matrices": {"X": x, "K": [[1]]}, "convolution": {"input": "X", "kernel": "K"},
            "pooling": {"input": "X", "kernel_size": kernel_size, "stride": stride, "padding": padding},
            "grading": {"rubric": {"ceil-instead-of-floor": 0.5, "padding-forgotten": 0.5, "transposed": 0.5}},
            "problems": [{"id": "1", "parts": [{"id": "a", "task": "pool-output-size", "points": 2}]}]}


SIZES = [   # input shape, kernel_size, stride, padding
    ((4, 4), 2, 2, 0), ((5, 5), 2, 2, 0), ((6, 6), 3, 2, 1), ((5, 7), 3, 2, 1), ((7, 4), [3, 2], [2, 1], [1, 0]),
    ((3, 3), 2, 1, 0), ((9, 9), 3, 3, 1),
]


@pytest.mark.parametrize(("shape", "k", "s", "p"), SIZES)
def test_the_size_is_torchs(shape, k, s, p):
    sol = derive_solution(load_spec(size_spec(shape, k, s, p)))
    torch_shape = F.max_pool2d(torch.zeros(1, 1, *shape), k, s, p).shape[2:]
    assert pool_output_size.expected(sol) == tuple(torch_shape)


def graded(spec, answer):
    result = grade(spec, {"answers": {"a" if isinstance(spec, dict) else "1a": answer}})
    return result.parts[0]


@pytest.mark.parametrize(("shape", "k", "s", "p"), SIZES)
def test_every_alternative_is_diagnosed(shape, k, s, p):
    data = size_spec(shape, k, s, p)
    alternatives = pool_output_size.alternatives(derive_solution(load_spec(data)))
    right = pool_output_size.expected(derive_solution(load_spec(data)))
    for alt in alternatives:
        assert alt.value != right and alt.code in CODES
        got = graded(data, f"{alt.value[0]} x {alt.value[1]}")
        codes = most_specific([a.code for a in alternatives if a.value == alt.value])
        assert sorted(got.diagnoses) == sorted(codes), alt
        assert got.score == pytest.approx(2 * max(1 - cost(load_spec(data), c) for c in codes))


@pytest.mark.parametrize(("shape", "k", "s", "p", "codes"), [
    ((6, 6), 3, 2, 1, {"output-size-off-by-one", "ceil-instead-of-floor", "padding-forgotten"}),
    ((5, 7), 3, 2, 1, {"output-size-off-by-one", "padding-forgotten", "transposed"}),
    ((4, 4), 2, 2, 0, {"output-size-off-by-one"}),
])
def test_the_alternatives_are_the_ones_that_differ(shape, k, s, p, codes):
    sol = derive_solution(load_spec(size_spec(shape, k, s, p)))
    assert {a.code for a in pool_output_size.alternatives(sol)} == codes


@pytest.mark.parametrize("answer", ["3 x 3", r"3 \times 3", "(3, 3)", [3, 3], r"Y \in \mathbb{R}^{3 \times 3}"])
def test_a_right_answer_gets_full_marks(answer):
    got = graded(str(OVERLAP), answer)
    assert got.score == 1.0 and got.diagnoses == []


def test_it_is_graded_by_the_output_size_checker_with_its_own_record():
    pool, conv = task("pool-output-size"), task("output-size")
    assert pool.checker == conv.checker and pool.value is not None and pool.part_alternatives is not None


def test_the_convolutions_size_is_not_the_pools():
    """The convolution's output is 6x6 here: check_size takes the pooled size from the task's record, not the
    convolution's."""
    data = size_spec((6, 6), 3, 2, 1)
    assert derive_solution(load_spec(data)).output_shape == (6, 6)
    assert graded(data, "6 x 6").score == 0.0 and graded(data, "3 x 3").score == 2.0


@pytest.mark.parametrize(("answer", "status", "line"), [
    ("3 x", NEEDS_REVIEW, "could not read"),
    ("9", "graded", "9 is one number; a size is rows x columns"),
])
def test_an_unreadable_answer(answer, status, line):
    got = graded(str(OVERLAP), answer)
    assert got.score == 0 and got.status == status and line in got.feedback


def test_the_document_works_the_formula_out_per_axis():
    text = build_document(derive_solution(OVERLAP)).dumps()
    assert (r"\text{rows} &= \left\lfloor \frac{6 + 2 \cdot 1 - 3}{2} \right\rfloor + 1 = 3") in text
    assert r"fits $O$ times:" in text and r"So $Y$ is $3 \times 3$." in text
