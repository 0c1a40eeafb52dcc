"""The network tasks (layer-output-shape, parameter-count, multiply-adds, receptive-field): references against
PyTorch modules, and the grader on right answers in the notations people use, each diagnosed mistake, and an
unreadable answer."""

from __future__ import annotations

import copy

import pytest
import torch

from grader import grade
from symconv import derive_solution, load_spec
from symconv.spec import TEMPLATES
from symconv.stack import AvgPool2d, Conv2d, MaxPool2d, ReLU
from symconv.tasks import task

SPECS = [TEMPLATES / "cnn-layers.yaml", TEMPLATES / "receptive-field.yaml"]


def _torch(layer):
    if isinstance(layer, Conv2d):
        return torch.nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, stride=layer.stride,
                               padding=layer.padding, dilation=layer.dilation, groups=layer.groups, bias=layer.bias)
    if isinstance(layer, MaxPool2d):
        return torch.nn.MaxPool2d(layer.kernel_size, stride=layer.stride, padding=layer.padding)
    if isinstance(layer, AvgPool2d):
        return torch.nn.AvgPool2d(layer.kernel_size, stride=layer.stride, padding=layer.padding)
    assert isinstance(layer, ReLU)
    return torch.nn.ReLU()


def _field(modules, shape, k) -> int:
    """Rows of input a centre output of layer k sees: the extent of the input gradient's nonzero rows (all
    weights positive, max pools as all-ones convolutions of the same shape, so nothing cancels or is routed)."""
    x = torch.zeros(1, *shape, dtype=torch.float64, requires_grad=True)
    y = x
    for m in modules[:k]:
        if isinstance(m, torch.nn.Conv2d):
            m = copy.deepcopy(m).double()
            with torch.no_grad():
                m.weight.fill_(1.0)
        if isinstance(m, torch.nn.MaxPool2d):
            m = torch.nn.AvgPool2d(m.kernel_size, stride=m.stride, padding=m.padding)
        y = m(y) if not isinstance(m, torch.nn.ReLU) else y   # ReLU at 0 would stop the gradient
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    rows = (x.grad[0].abs().sum(dim=(0, 2)) > 0).nonzero()
    return int(rows.max() - rows.min() + 1)


@pytest.mark.parametrize("path", SPECS)
def test_references_against_torch(path):
    sol = derive_solution(path)
    net = sol.spec.network
    modules = [_torch(layer) for layer in net.layers]
    for part in sol.spec.parts:
        k = part.options.get("layer", len(net.layers))
        value = task(part.task).value(sol, part)
        if part.task == "layer-output-shape":
            y = torch.zeros(1, *net.input)
            for m in modules[:k]:
                y = m(y)
            assert value == tuple(y.shape[1:])
        elif part.task == "parameter-count":
            chosen = modules if "layer" not in part.options else [modules[k - 1]]
            assert value == sum(p.numel() for m in chosen for p in m.parameters())
        elif part.task == "multiply-adds":
            y = torch.zeros(1, *net.input)
            for m in modules[:k]:
                y = m(y)
            conv = modules[k - 1]
            assert value == y.numel() * conv.weight[0].numel()
        else:
            assert value[0] == _field(modules, net.input, k)


def _grade(spec, part_id, answer):
    result = grade(spec, {"student": "s", "answers": {part_id: answer}})
    return next(p for p in result.parts if p.part == part_id)


@pytest.fixture(scope="module")
def cnn():
    return load_spec(TEMPLATES / "cnn-layers.yaml")


@pytest.mark.parametrize(("part", "answer"), [
    ("2.1a", "32x29x29"), ("2.1a", "29 \\times 29 \\times 32"), ("2.1a", "(32, 29, 29)"), ("2.1a", [32, 29, 29]),
    ("2.1b", "64 × 14 × 14"), ("2.1c", "1568"), ("2.1c", "1,568 parameters"), ("2.1c", "1 568"),
    ("2.1c", "4 \\cdot 4 \\cdot 3 \\cdot 32 + 32"), ("2.1d", "20064"), ("2.1e", "3,612,672"), ("2.1e", "3612672"),
    ("2.1f", "9"), ("2.1f", "9 \\times 9"), ("2.1f", "9x9 pixels"),
])
def test_right_answers_get_full_marks(cnn, part, answer):
    result = _grade(cnn, part, answer)
    assert result.score == result.max_score, result.feedback


@pytest.mark.parametrize(("part", "answer", "code"), [
    ("2.1a", "3x29x29", "channels-wrong"), ("2.1a", "32x30x30", "output-size-off-by-one"),
    ("2.1b", "64x12x12", "padding-forgotten"), ("2.1c", "1536", "bias-forgotten"),
    ("2.1c", "544", "channels-forgotten"), ("2.1d", "19968", "bias-forgotten"),
    ("2.1e", "112896", "channels-forgotten"), ("2.1f", "7", "stride-ignored"),
])
def test_each_mistake_is_diagnosed_and_costs(cnn, part, answer, code):
    result = _grade(cnn, part, answer)
    assert code in result.diagnoses and result.score < result.max_score


@pytest.mark.parametrize(("part", "answer"), [("2.1a", "32x29"), ("2.1c", "1569"), ("2.1f", "10")])
def test_a_wrong_answer_scores_zero_without_a_diagnosis(cnn, part, answer):
    result = _grade(cnn, part, answer)
    assert result.score == 0 and result.diagnoses == []


@pytest.mark.parametrize(("part", "answer"), [("2.1c", "lots of them"), ("2.1a", "big"), ("2.1f", "9 or 10??")])
def test_an_unreadable_answer_goes_to_a_person(cnn, part, answer):
    result = _grade(cnn, part, answer)
    assert result.status == "needs-review" and result.score == 0


def test_a_layer_that_is_not_there_is_a_spec_error():
    data = {"name": "n", "network": {"input": [1, 5, 5], "layers": ["ReLU"]},
            "problems": [{"id": "1", "parts": [{"id": "a", "task": "parameter-count", "layer": 3, "points": 1}]}]}
    with pytest.raises(Exception, match="layer must be a layer number from 1 to 1"):
        task("parameter-count").value(derive_solution(load_spec(data)), load_spec(data).parts[0])


@pytest.mark.parametrize(("layers", "needle"), [
    ([{"type": "Conv2D", "in_channels": 1, "out_channels": 1, "kernal_size": 3}], "did you mean `kernel_size`"),
    ([{"type": "Convolution2d", "in_channels": 1, "out_channels": 1, "kernel_size": 3}], "unknown layer type"),
    ([{"type": "Conv2d", "in_channels": 2, "out_channels": 1, "kernel_size": 3}], "layer 1 (Conv2d)"),
    ([{"type": "Conv2d", "in_channels": 1, "out_channels": 1, "kernel_size": 9}], "layer 1 (Conv2d)"),
])
def test_a_bad_network_is_a_one_line_spec_error(layers, needle):
    from symconv.errors import SpecError

    with pytest.raises(SpecError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        load_spec({"name": "n", "network": {"input": [1, 5, 5], "layers": layers}, "problems": []})
