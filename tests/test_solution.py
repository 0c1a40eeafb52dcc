"""symconv.solution: every reference answer of a spec, derived by the engine, against torch and symconv.numeric."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
import yaml
from conftest import HOMEWORK_A, HOMEWORK_B, tensor

from symconv import SpecError, derive_solution, load_spec, output_size_expr, sym_matrix
from symconv import numeric as sn
from symconv.solution import POOL_MODULES, check_pool_modules
from symconv.spec import DEFAULT_SPEC
from symconv.tasks import task

HOMEWORK = yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))


def as_int_list(t: torch.Tensor) -> list:
    return t.round().to(torch.int64).tolist()


@pytest.fixture(scope="module")
def homework():
    return derive_solution()


def test_homework_output(homework):
    assert homework.output_shape == (3, 3)
    expected = F.conv2d(tensor([[HOMEWORK_A]]), tensor([[HOMEWORK_B]]))[0, 0]
    assert homework.output.tolist() == as_int_list(expected)
    A, B = homework.symbols["A"], homework.symbols["B"]
    subs = {**dict(zip(A, sympy.Matrix(HOMEWORK_A))), **dict(zip(B, sympy.Matrix(HOMEWORK_B)))}
    assert homework.output_symbolic.xreplace(subs) == homework.output
    assert homework.input == sympy.Matrix(HOMEWORK_A) and homework.kernel == sympy.Matrix(HOMEWORK_B)


def test_homework_gradients(homework):
    assert homework.upstream == sympy.ones(3, 3)
    assert homework.grad_input.tolist() == [[4, 7, 10, 6, 3], [9, 17, 25, 16, 8], [11, 23, 34, 23, 11],
                                            [7, 16, 24, 17, 8], [2, 6, 9, 7, 3]]
    a, b = tensor([[HOMEWORK_A]], grad=True), tensor([[HOMEWORK_B]], grad=True)
    F.conv2d(a, b).sum().backward()
    assert homework.grad_input.tolist() == as_int_list(a.grad[0, 0])
    assert homework.grad_kernel.tolist() == as_int_list(b.grad[0, 0])
    B = set(homework.symbols["B"])
    for entry in homework.grad_input_symbolic:
        assert all(t in B for t in sympy.Add.make_args(entry))       # sums of B terms only


def test_homework_chain_rules(homework):
    assert set(homework.chain) == {(i, j) for i in range(1, 6) for j in range(1, 6)}
    for (i, j), rule in homework.chain.items():
        assert rule.total == homework.grad_input_symbolic[i - 1, j - 1]
        assert all(t.output.name.startswith("C_") for t in rule.terms)
    assert len(homework.chain[(3, 3)].terms) == 9 and len(homework.chain[(1, 1)].terms) == 1


def test_homework_pooling(homework):
    assert homework.pool_input == homework.output
    c = tensor(homework.output.tolist())[None, None]
    assert homework.pooled_max.shape == (2, 2)
    assert homework.pooled_max.tolist() == as_int_list(F.max_pool2d(c, 2, stride=1)[0, 0])
    np.testing.assert_allclose(np.array(homework.pooled_avg.tolist(), dtype=float),
                               F.avg_pool2d(c, 2, stride=1)[0, 0].numpy(), rtol=1e-12)


def test_homework_formula_and_modules(homework):
    assert homework.output_size_formula == output_size_expr()
    assert homework.pool_modules == POOL_MODULES
    assert check_pool_modules() is True
    assert homework.pool_modules["max"] == "torch.nn.MaxPool2d"


def test_path_and_spec_arguments():
    assert derive_solution(str(DEFAULT_SPEC)).output == derive_solution(load_spec()).output


def _pools(problem: dict) -> bool:
    """A problem with a part whose task needs the pooling section."""
    return any("pooling" in task(p["task"]).needs for p in problem["parts"])


@pytest.mark.parametrize(("seed", "shape", "kernel", "conv"), [
    (0, (5, 5), (3, 3), {}),
    (1, (6, 4), (2, 3), {"stride": 2}),
    (2, (4, 4), (3, 3), {"padding": 1}),
    (3, (7, 6), (2, 2), {"dilation": [2, 1], "stride": [1, 2]}),
])
def test_changing_the_inputs_changes_every_answer(seed, shape, kernel, conv):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(-5, 6, shape), rng.integers(-3, 4, kernel)
    data = copy.deepcopy(HOMEWORK)
    data["matrices"] = {"A": a.tolist(), "B": b.tolist()}
    data["convolution"].update(conv)
    data["pooling"]["kernel_size"], data["pooling"]["stride"] = 2, 1
    cfg = {k: tuple(v) if isinstance(v, list) else v for k, v in conv.items()}
    out = sn.conv2d(a.astype(float), b.astype(float), **cfg)
    if min(out.shape) < 2:
        del data["pooling"]  # a 2x2 window does not fit the output: the spec loader rejects that pooling
        data["problems"] = [p for p in data["problems"] if not _pools(p)]   # and its parts, which need it
    sol = derive_solution(load_spec(data))
    np.testing.assert_array_equal(np.array(sol.output.tolist(), dtype=float), out)
    assert sol.output_shape == out.shape
    gx, gw, _ = sn.conv2d_backward(a.astype(float), b.astype(float), np.ones(out.shape), **cfg)
    np.testing.assert_array_equal(np.array(sol.grad_input.tolist(), dtype=float), gx)
    np.testing.assert_array_equal(np.array(sol.grad_kernel.tolist(), dtype=float), gw)
    ta, tb = tensor(a.tolist(), grad=True), tensor(b.tolist(), grad=True)
    F.conv2d(ta[None, None], tb[None, None], **cfg).sum().backward()
    np.testing.assert_array_equal(gx, ta.grad.numpy())
    if min(out.shape) >= 2:
        np.testing.assert_array_equal(np.array(sol.pooled_max.tolist(), dtype=float),
                                      sn.max_pool2d(out, 2, stride=1))


def test_symbolic_upstream():
    data = copy.deepcopy(HOMEWORK)
    data["convolution"]["upstream"] = "symbolic"
    sol = derive_solution(load_spec(data))
    G = sym_matrix("G", 3, 3)
    assert sol.upstream == G
    assert sol.grad_input.free_symbols == set(G)
    assert sol.grad_input.xreplace({g: 1 for g in G}) == derive_solution().grad_input
    g = np.random.default_rng(7).standard_normal((3, 3))
    a, b = tensor([[HOMEWORK_A]], grad=True), tensor([[HOMEWORK_B]], grad=True)
    F.conv2d(a, b).backward(tensor(g.tolist())[None, None])
    ours = np.array(sol.grad_input.xreplace(dict(zip(G, g.ravel().tolist()))).tolist(), dtype=float)
    np.testing.assert_allclose(ours, a.grad[0, 0].numpy(), rtol=1e-12)
    rule = sol.chain[(2, 2)]
    assert rule.total == sol.grad_input_symbolic[1, 1]
    assert {t.upstream for t in rule.terms} <= set(G)


def test_pooling_a_named_matrix_and_no_pooling():
    data = copy.deepcopy(HOMEWORK)
    data["pooling"]["input"] = "A"
    sol = derive_solution(load_spec(data))
    assert sol.pool_input == sympy.Matrix(HOMEWORK_A)
    assert sol.pooled_max.tolist() == as_int_list(F.max_pool2d(tensor([[HOMEWORK_A]]), 2, stride=1)[0, 0])

    data["pooling"]["input"] = "Q"
    with pytest.raises(SpecError):
        _ = derive_solution(load_spec(data)).pooled_max

    del data["pooling"]
    data["problems"] = [p for p in data["problems"] if not _pools(p)]
    sol = derive_solution(load_spec(data))
    assert sol.pooled_max is None and sol.pooled_avg is None
    with pytest.raises(SpecError):
        _ = sol.pool_input
