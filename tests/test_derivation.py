"""symconv.derive: the library behind `symconv derive` returns a result object equal to conv2d_grad."""

from __future__ import annotations

import json

import pytest

from symconv import ConfigError, conv2d_grad, derive, sym_matrix


@pytest.mark.parametrize("shape, kernel, cfg", [
    ((5, 5), (3, 3), {}),
    ((6, 5), (3, 2), {"stride": 2, "padding": 1}),
    ((7, 7), (3, 3), {"dilation": 2, "padding": (1, 0)}),
])
@pytest.mark.parametrize("wrt", ["input", "kernel"])
def test_entries_equal_conv2d_grad(shape, kernel, cfg, wrt):
    d = derive(shape, kernel, wrt=wrt, **cfg)
    dA, dB = conv2d_grad(sym_matrix("A", *shape), sym_matrix("B", *kernel), **cfg)
    grad = dA if wrt == "input" else dB
    assert [e for _, e in d.entries] == list(grad)


def test_chain_expansion_per_input_entry():
    d = derive((5, 5), (3, 3), chain=True)
    assert len(d.chains) == 25 and d.chains[(2, 4)].total == d.entries[8][1]
    assert d.to_text().splitlines()[9].startswith("dE/dA_24 = dE/dC_12*dC_12/dA_24")


def test_renderings_carry_every_entry():
    d = derive((4, 4), (2, 2), upstream="symbolic")
    assert d.output_shape == (3, 3)
    assert len(json.loads(d.to_json())["entries"]) == 16
    assert d.to_latex().count("&=") == 16 and "G" in d.to_text().splitlines()[0]


@pytest.mark.parametrize("kwargs, word", [({"upstream": "twos"}, "upstream"), ({"wrt": "bias"}, "wrt"),
                                          ({"stride": 0}, "stride")])
def test_bad_configuration_is_a_config_error(kwargs, word):
    with pytest.raises(ConfigError, match=word):
        derive((5, 5), (3, 3), **kwargs)
