"""symconv.layer_chain: every step's output and every gradient of a layers: chain against torch (functional ops with
autograd), and the section's errors (misspelt keys and step types with a suggestion, impossible shapes naming the
step, matrices that must exist)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv.errors import SpecError
from symconv.layer_chain import Backward, gradients, is_array, parse_layers
from symconv.spec import load_spec

torch = pytest.importorskip("torch")
F = torch.nn.functional

RNG = np.random.default_rng(7)


def ints(*shape: int) -> list:
    return RNG.integers(-3, 4, size=shape).tolist()


def t(value) -> torch.Tensor:
    return torch.tensor(np.array(value, dtype=float), dtype=torch.float64, requires_grad=True)


def arr(channels) -> np.ndarray:
    return np.array([[[float(e) for e in row] for row in m.tolist()] for m in channels])


# (matrices, steps, torch forward from tensors by name) -- every step type, several channels, bias, padding forms
CASES = {
    "conv-relu-maxpool": (
        {"X": ints(2, 4, 4), "W": ints(2, 2, 3, 3), "b": [1, -1]},
        [{"type": "conv2d", "weight": "W", "bias": "b", "padding": 1, "output": "Z"},
         {"type": "relu", "output": "R"}, {"type": "maxpool2d", "kernel_size": 2, "stride": 2, "output": "Y"}],
        lambda v: {"Z": (z := F.conv2d(v["X"], v["W"], v["b"], padding=1)), "R": (r := F.relu(z)),
                   "Y": F.max_pool2d(r, 2, 2)}),
    "asymmetric-padding-stride-avg": (
        {"X": ints(1, 5, 5), "W": ints(2, 1, 2, 2), "b": [2, 0]},
        [{"type": "conv2d", "weight": "W", "bias": "b", "padding": [0, 1, 1, 0], "stride": 2, "output": "Z"},
         {"type": "avgpool2d", "kernel_size": 2, "stride": 1, "output": "A"}],
        lambda v: {"Z": (z := F.conv2d(F.pad(v["X"], (1, 0, 0, 1)), v["W"], v["b"], stride=2)),
                   "A": F.avg_pool2d(z, 2, 1)}),
    "groups-lppool": (
        {"X": [[[1, 2, 3], [0, 1, 2], [2, 2, 1]], [[3, 1, 0], [1, 1, 1], [0, 2, 3]]], "W": [[[[1, 1], [0, 1]]],
                                                                                          [[[2, 0], [1, 1]]]]},
        [{"type": "conv2d", "weight": "W", "groups": 2, "output": "Z"},
         {"type": "lppool2d", "norm_type": 2, "kernel_size": 2, "output": "P"}],
        lambda v: {"Z": (z := F.conv2d(v["X"], v["W"], groups=2)), "P": F.lp_pool2d(z, 2, 2)}),
    "two-convs-2d-kernel": (
        {"X": ints(4, 4), "K": ints(2, 2), "V": ints(2, 2)},
        [{"type": "conv2d", "weight": "K", "output": "Z"}, {"type": "relu", "output": "R"},
         {"type": "conv2d", "weight": "V", "padding": [1, 0], "output": "Y"}],
        lambda v: {"Z": (z := F.conv2d(v["X"][None], v["K"][None, None])), "R": (r := F.relu(z)),
                   "Y": F.conv2d(r, v["V"][None, None], padding=(1, 0))}),
    "true-convolution-dilation": (
        {"X": ints(2, 6, 6), "W": ints(1, 2, 2, 3), "b": [3]},
        [{"type": "conv2d", "weight": "W", "bias": "b", "flip": True, "dilation": 2, "stride": [1, 2],
          "output": "Z"}, {"type": "maxpool2d", "kernel_size": 2, "stride": 1, "padding": 1, "output": "M"}],
        lambda v: {"Z": (z := F.conv2d(v["X"], v["W"].flip(-1, -2), v["b"], dilation=2, stride=(1, 2))),
                   "M": F.max_pool2d(z, 2, 1, padding=1)}),
    "conv-transpose-channels": (
        {"X": ints(2, 3, 3), "W": ints(2, 3, 3, 3), "b": [1, 0, -1]},
        [{"type": "conv_transpose2d", "weight": "W", "bias": "b", "stride": 2, "padding": 1, "output_padding": 1,
          "output": "T"}, {"type": "relu", "output": "R"}],
        lambda v: {"T": (y := F.conv_transpose2d(v["X"], v["W"], v["b"], stride=2, padding=1, output_padding=1)),
                   "R": F.relu(y)}),
    "conv-transpose-groups-dilation": (
        {"X": ints(2, 3, 3), "W": ints(2, 1, 2, 2)},
        [{"type": "conv_transpose2d", "weight": "W", "groups": 2, "dilation": 2, "output_padding": 1,
          "output": "T"}],
        lambda v: {"T": F.conv_transpose2d(v["X"], v["W"], groups=2, dilation=2, output_padding=1)}),
    "conv1d": (
        {"s": [1, -2, 3, 0, 2, 1], "k": [[[1, -1, 2]], [[0, 1, 1]]], "c": [1, 0]},
        [{"type": "conv1d", "weight": "k", "bias": "c", "stride": 1, "padding": 1, "output": "Z"},
         {"type": "relu", "output": "R"}],
        lambda v: {"Z": (z := F.conv1d(v["s"][None], v["k"], v["c"], padding=1)), "R": F.relu(z)}),
}
TRANSPOSED = (
    {"X": [[1, 2], [3, 4]], "K": [[1, 0, 1], [0, 1, 0], [1, 0, 1]]},
    [{"type": "conv_transpose2d", "weight": "K", "stride": 2, "output": "T"}],
    lambda v: {"T": F.conv_transpose2d(v["X"][None, None], v["K"][None, None], stride=2)[0]})


def build(matrices, steps, upstream="ones"):
    return parse_layers({"input": next(iter(matrices)), "steps": steps, "upstream": upstream}, matrices, "<spec>", {})


@pytest.mark.parametrize("case", [*CASES.values(), TRANSPOSED], ids=[*CASES, "conv-transpose"])
def test_every_step_is_torchs(case):
    matrices, steps, run = case
    chain = build(matrices, steps)
    expected = run({k: t(v) for k, v in matrices.items()})
    for name, value in expected.items():
        got = arr(chain.outputs[name])
        want = value.detach().numpy().reshape(got.shape)
        np.testing.assert_allclose(got, want, atol=1e-9, err_msg=name)


@pytest.mark.parametrize("upstream", ["ones", "matrix"])
@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_every_gradient_is_torchs_autograd(case, upstream):
    matrices, steps, run = case
    tensors = {k: t(v) for k, v in matrices.items()}
    out = run(tensors)[steps[-1]["output"]]
    g = np.ones(out.shape) if upstream == "ones" else RNG.integers(-2, 3, size=out.shape).astype(float)
    given = dict(matrices)
    if upstream == "matrix":   # the upstream as a spec matrix: channels, or one matrix
        given["G"] = g.tolist() if g.ndim == 3 and g.shape[0] > 1 else g.reshape(g.shape[-2:]).tolist()
    chain = build(given, steps, "G" if upstream == "matrix" else "ones")
    (out * torch.tensor(g)).sum().backward()
    grads = gradients(chain)
    for name, tensor in tensors.items():
        mine = grads[name]
        flat = np.array([float(e) for e in _entries(mine)])
        np.testing.assert_allclose(flat, tensor.grad.numpy().ravel(), atol=1e-9, err_msg=name)


def _entries(value):
    if isinstance(value, sympy.MatrixBase):
        return list(value)
    if isinstance(value, list) and value and not isinstance(value[0], list | sympy.MatrixBase):
        return value
    return [e for item in value for e in _entries(item)]


def test_a_symbolic_upstream_gives_gradients_in_its_entries():
    matrices, steps, _ = CASES["two-convs-2d-kernel"]
    chain = parse_layers({"input": "X", "steps": steps, "upstream": "symbolic", "upstream_name": "D"}, matrices,
                         "<spec>", {})
    assert {s.name for s in chain.gradient["K"][0][0].free_symbols} == {"D_11", "D_12", "D_21", "D_22"} or \
        all(s.name.startswith("D_") for s in chain.gradient["K"][0][0].free_symbols)


def test_shared_weights_get_the_sum_of_their_gradients():
    matrices = {"X": [[1, 2, 3]], "K": [[1, -1]]}
    chain = build(matrices, [{"type": "conv2d", "weight": "K", "output": "Z"},
                             {"type": "conv2d", "weight": "K", "output": "Y"}])
    x, k = t([[[[1, 2, 3]]]]), t([[[[1, -1]]]])
    F.conv2d(F.conv2d(x, k), k).sum().backward()
    assert [float(e) for e in chain.gradient["K"][0][0]] == k.grad.numpy().ravel().tolist()


def test_split_ties_sends_a_share_to_each_tied_maximum():
    chain = build({"X": [[2, 2], [0, 1]]}, [{"type": "maxpool2d", "kernel_size": 2, "output": "Y"}])
    assert gradients(chain)["X"][0].tolist() == [[1, 0], [0, 0]]
    assert gradients(chain, Backward(split_ties=True))["X"][0].tolist() == [[sympy.Rational(1, 2)] * 2, [0, 0]]


@pytest.mark.parametrize(("value", "expected"), [([[1]], False), ([1, 2], True), ([[[1]]], True),
                                                 ([[[[1]]]], True), ("symbolic 2x2", False), (3, False)])
def test_arrays_are_the_layers_sections(value, expected):
    assert is_array(value) is expected


BASE = {"name": "l", "matrices": {"X": [[[1, 0, 2], [0, 1, 1], [1, 1, 0]]], "W": [[[[1, 0], [0, 1]]]], "b": [1],
                                  "G": [[1, 2, 3], [4, 5, 6]]},
        "layers": {"input": "X", "steps": [{"type": "conv2d", "weight": "W", "bias": "b", "output": "Z"},
                                           {"type": "relu", "output": "R"}]},
        "problems": [{"id": "1", "parts": [{"id": "a", "task": "layer-forward", "points": 1}]}]}


def edited(layers=None, **steps):
    data = {**BASE, "layers": {**BASE["layers"], **(layers or {})}}
    if steps:
        data["layers"]["steps"] = [{**BASE["layers"]["steps"][0], **steps}, *BASE["layers"]["steps"][1:]]
    return data


@pytest.mark.parametrize(("data", "needle"), [
    (edited({"upstrem": "ones"}), "unknown key `upstrem`; did you mean `upstream`?"),
    (edited(strides=2), "unknown conv2d key `strides`; did you mean `stride`?"),
    (edited(type="conv2", weight="W"), "unknown step type `conv2`; did you mean `conv2d`?"),
    (edited({"steps": [{"type": "maxpol2d", "kernel_size": 2, "output": "Y"}]}), "did you mean `maxpool2d`?"),
    (edited(weight="Q"), "weight must name one of the matrices"),
    (edited({"input": "Y"}), "layers.input must name one of the matrices"),
    (edited(padding=[0, 0, 0]), "layers.steps[0] (conv2d (W, b) -> Z)"),
    (edited({"steps": [{"type": "maxpool2d", "kernel_size": 4, "output": "Y"}]}), "layers.steps[0] (maxpool2d"),
    (edited(output="R"), "output 'R' is already the name"),
    (edited(output="W"), "output 'W' is already the name"),
    (edited({"upstream": "b"}), "b: is both a bias and the upstream"),
    (edited({"upstream": "Q"}, output="V"), "must name one of the matrices"),
    (edited(bias=None), "bias must name one of the matrices"),
    (edited({"upstream": "G"}), "layers.upstream G must have the shape of R (1 x 2 x 2)"),
    (edited({"steps": [{"type": "relu"}]}), "missing output"),
    (edited({"steps": []}), "non-empty list of steps"),
    (edited(flip="yes"), "layers.steps[0].flip must be true or false, not 'yes'"),
    (edited(stride="two"), "layers.steps[0] (conv2d (W, b) -> Z)"),
    (edited(stride=[[1]]), "layers.steps[0].stride"),
    ({**BASE, "layers": None, "problems": []}, "is read only by a layers: section"),
    ({**BASE, "matrices": {**BASE["matrices"], "W1": [[[[1]]]]}}, "matrices.W1: a matrix name must be letters only"),
])
def test_spec_errors_are_one_line_with_a_suggestion(data, needle):
    with pytest.raises(SpecError) as err:
        load_spec(data)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_without_a_layers_section_an_array_is_still_refused_by_the_matrices():
    data = {**BASE, "problems": []}
    del data["layers"]
    with pytest.raises(SpecError, match="matrices"):
        load_spec(data)


def test_a_yaml_spec_names_the_line_of_a_misspelt_step_key(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nmatrices: {X: [[1, 2], [3, 4]], W: [[1]]}\nlayers:\n  input: X\n  steps:\n"
                    "    - {type: conv2d, weight: W, output: Z, paddng: 1}\nproblems: []\n")
    with pytest.raises(SpecError, match=r"line 6: .*did you mean `padding`\?"):
        load_spec(path)


def test_a_layer_part_needs_the_section():
    data = {**BASE}
    del data["layers"]
    data["matrices"] = {"X": [[1]]}
    with pytest.raises(SpecError, match="needs a layers section"):
        load_spec(data)


def test_a_symbolic_input_goes_through_the_convolution_as_symbols():
    spec = load_spec({"name": "s", "matrices": {"X": "symbolic 3x3", "W": [[1, 0], [0, -1]]},
                      "layers": {"input": "X", "steps": [{"type": "conv2d", "weight": "W", "output": "Z"}]},
                      "problems": []})
    x, z = spec.matrices["X"], spec.layers.outputs["Z"][0]
    assert z.shape == (2, 2) and z[0, 1] == x[0, 1] - x[1, 2]
    assert spec.layers.gradient["W"][0][0][0, 0] == x[0, 0] + x[0, 1] + x[1, 0] + x[1, 1]


@st.composite
def chains(draw):
    """A random conv2d (channels, bias, stride, padding) -> ReLU -> pooling chain on small integers."""
    c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    k, stride, pad = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 1))
    size = draw(st.integers(k + 1, 5))
    small = st.integers(-3, 3)
    x = draw(st.lists(st.lists(st.lists(small, min_size=size, max_size=size), min_size=size, max_size=size),
                      min_size=c_in, max_size=c_in))
    w = draw(st.lists(st.lists(st.lists(st.lists(small, min_size=k, max_size=k), min_size=k, max_size=k),
                               min_size=c_in, max_size=c_in), min_size=c_out, max_size=c_out))
    b = draw(st.lists(small, min_size=c_out, max_size=c_out))
    out = (size + 2 * pad - k) // stride + 1
    pool = draw(st.sampled_from(["maxpool2d", "avgpool2d"])) if out >= 2 else None
    steps = [{"type": "conv2d", "weight": "W", "bias": "b", "stride": stride, "padding": pad, "output": "Z"},
             {"type": "relu", "output": "R"}]
    if pool:
        steps.append({"type": pool, "kernel_size": 2, "stride": 1, "output": "Y"})
    return {"X": x, "W": w, "b": b}, steps, stride, pad, pool


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chains())
def test_random_chains_match_torch(case):
    matrices, steps, stride, pad, pool = case
    chain = build(matrices, steps)
    v = {k: t(val) for k, val in matrices.items()}
    out = F.relu(F.conv2d(v["X"], v["W"], v["b"], stride=stride, padding=pad))
    if pool:
        out = (F.max_pool2d if pool == "maxpool2d" else F.avg_pool2d)(out, 2, 1)
    np.testing.assert_allclose(arr(chain.outputs[chain.last]), out.detach().numpy(), atol=1e-9)
    out.sum().backward()
    for name in ("X", "W", "b"):
        got = np.array([float(e) for e in _entries(chain.gradient[name])])
        np.testing.assert_allclose(got, v[name].grad.numpy().ravel(), atol=1e-9, err_msg=name)


def test_a_symbolic_upstream_needs_one_channel():
    data = {"name": "s", "matrices": {"X": [[1, 2], [3, 4]], "W": [[[[1]]], [[[2]]]]},
            "layers": {"input": "X", "upstream": "symbolic", "steps": [{"type": "conv2d", "weight": "W",
                                                                         "output": "Z"}]}, "problems": []}
    with pytest.raises(SpecError, match="symbolic needs a one-channel output; Z has 2 channels"):
        load_spec(data)
