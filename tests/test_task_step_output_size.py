"""Task step-output-size: a step's output size in a layers chain, against torch, graded with its mistakes."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from grader import grade
from symconv import derive_solution, load_spec
from symconv.tasks import task

X = [[1, 2, 0], [0, 1, 3], [2, 2, 1]]
K = [[1, 0, 1], [0, 1, 0], [1, 1, 0]]


def spec(step: dict) -> dict:
    return {"name": "t", "matrices": {"X": X, "K": K},
            "layers": {"input": "X", "steps": [{"weight": "K", "output": "T", **step}]},
            "problems": [{"id": "1", "parts": [{"id": "a", "task": "step-output-size", "points": 1}]}]}


@pytest.mark.parametrize("step", [
    {"type": "conv_transpose2d", "stride": 2, "padding": 1, "output_padding": 1},
    {"type": "conv_transpose2d", "stride": 1},
    {"type": "conv_transpose2d", "stride": [2, 1], "padding": [0, 1], "dilation": 2},
    {"type": "conv2d", "padding": 1, "stride": 2},
])
def test_the_size_is_torchs(step):
    sol = derive_solution(load_spec(spec(step)))
    x, w = torch.tensor([[X]], dtype=torch.float64), torch.tensor([[K]], dtype=torch.float64)
    args = {k: tuple(v) if isinstance(v, list) else v for k, v in step.items() if k != "type"}
    out = (F.conv_transpose2d if step["type"] == "conv_transpose2d" else F.conv2d)(x, w, **args)
    assert task("step-output-size").value(sol, sol.spec.parts[0]) == tuple(out.shape[2:])


PADDED = {"type": "conv_transpose2d", "stride": 2, "padding": 1, "output_padding": 1}   # 6 x 6


def _graded(answer):
    return grade(load_spec(spec(PADDED)), {"student": "s", "answers": {"a": answer}}).parts[0]


@pytest.mark.parametrize("answer", ["6x6", "6 \\times 6", "(6, 6)", "T \\in \\mathbb{R}^{6 \\times 6}"])
def test_right(answer):
    assert _graded(answer).score == 1


@pytest.mark.parametrize(("answer", "code"), [
    ("2x2", "transposed-size-as-conv"), ("10x10", "transposed-padding-added"), ("5x5", "output-padding-forgotten"),
    ("6x7", "output-size-off-by-one"),
])
def test_each_mistake_is_diagnosed(answer, code):
    result = _graded(answer)
    assert result.score < 1 and code in result.diagnoses


def test_unreadable_goes_to_a_person():
    result = _graded("it depends on the stride ???")
    assert result.status == "needs-review" and result.score == 0
