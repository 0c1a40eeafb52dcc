"""The public API is consistent: ``from symconv import *`` shadows nothing common, the names it leaves out stay
reachable by module, and every function that takes a convolution's configuration takes the same keywords (and
the channel lists conv2d takes), with results that agree."""

from __future__ import annotations

import builtins
import functools
import inspect
import math
import types

import numpy as np
import pytest
import sympy

import symconv
from symconv import (
    chain_rule,
    conv2d,
    conv2d_grad,
    derive,
    output_size,
    sym_matrix,
    verify_conv2d,
    verify_conv2d_grad,
)
from symconv.figure_data import conv_window, feed_counts

COMMON = (set(dir(builtins)) | set(sympy.__all__) | set(dir(math)) | set(functools.__all__) | set(np.__all__)
          | {"verify", "evaluate", "plot", "partial", "latex"})


def test_star_import_shadows_nothing_common():
    assert set(symconv.__all__) & COMMON == set()
    namespace: dict = {}
    exec("from sympy import *\nfrom symconv import *", namespace)   # a notebook's first cell; our own code
    assert namespace["latex"] is sympy.latex and namespace["plot"] is sympy.plot
    assert {name for name in namespace if not name.startswith("__")} >= set(symconv.__all__)


def test_every_exported_name_exists_and_is_listed_once():
    assert len(symconv.__all__) == len(set(symconv.__all__))
    for name in symconv.__all__:
        assert getattr(symconv, name) is not None


@pytest.mark.parametrize(("path", "kind"), [
    ("symconv.latex.latex", types.FunctionType), ("symconv.chain.partial", types.FunctionType),
    ("symconv.verify.verify", types.FunctionType), ("symconv.plot.sliding_window", types.FunctionType),
])
def test_left_out_names_are_reachable_by_module(path, kind):
    module, _, name = path.rpartition(".")
    target = symconv
    for part in module.split(".")[1:]:
        target = getattr(target, part)
        assert isinstance(target, types.ModuleType)      # symconv.latex is the module, not the function
    assert isinstance(getattr(target, name), kind)


def test_an_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError):
        symconv.no_such_name  # noqa: B018


CONFIGURED = [conv2d, conv2d_grad, chain_rule, derive, output_size, symconv.plot.sliding_window,
              symconv.plot.gradient_heatmap, conv_window, feed_counts]


@pytest.mark.parametrize("fn", CONFIGURED, ids=lambda f: f.__name__)
def test_one_keyword_set_for_the_configuration(fn):
    """stride, padding and dilation: keyword-only, the same defaults, wherever a convolution is configured."""
    params = inspect.signature(fn).parameters
    for name, default in (("stride", 1), ("padding", 0), ("dilation", 1)):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert params[name].default == default, name


@pytest.mark.parametrize("fn", [conv2d, chain_rule, symconv.plot.sliding_window], ids=lambda f: f.__name__)
def test_flip_wherever_the_forward_pass_is_drawn_or_expanded(fn):
    assert inspect.signature(fn).parameters["flip"].default is False


CONFIGS = [{}, {"stride": 2}, {"stride": (2, 1), "padding": 1}, {"dilation": 2, "padding": (1, 0)},
           {"stride": 3, "padding": (0, 2), "dilation": (1, 2)}]


@pytest.mark.parametrize("cfg", CONFIGS)
def test_one_configuration_gives_agreeing_results_everywhere(cfg):
    """The same dict goes to every function; the sizes, the gradient, the chain rules, the derivation, the
    numeric checks and the pictures' data agree."""
    A, B, shape, k = sym_matrix("A", 6, 5), sym_matrix("B", 2, 3), (6, 5), (2, 3)
    C = conv2d(A, B, **cfg)
    axes = [{key: (v if isinstance(v, int) else v[a]) for key, v in cfg.items()} for a in (0, 1)]
    assert C.shape == tuple(output_size(shape[a], k[a], **axes[a]) for a in (0, 1))
    G = sym_matrix("G", *C.shape)
    dA, dB = conv2d_grad(A, B, G, **cfg)
    verify_conv2d(A, B, C, **cfg)
    verify_conv2d_grad(A, B, G, dA, dB, **cfg)
    d = derive(shape, k, upstream="symbolic", chain=True, **cfg)
    assert [e for _, e in d.entries] == list(dA)
    counts = feed_counts(shape, k, **cfg)
    for i in range(1, 7):
        for j in range(1, 6):
            rule = chain_rule(A, B, i, j, upstream=G, **cfg)
            assert sympy.expand(rule.total - dA[i - 1, j - 1]) == 0 and d.chains[(i, j)] == rule
            assert len(rule.terms) == counts[i - 1, j - 1]
    heat = symconv.plot.gradient_heatmap(A, B, **cfg)
    assert np.asarray(heat.axes[0].images[0].get_array()).tolist() == [[int(n) for n in row] for row in counts.tolist()]


def test_channel_lists_wherever_conv2d_takes_them():
    xs = [sym_matrix("A", 3, 4), sym_matrix("X", 3, 4)]
    ws = [sym_matrix("B", 2, 2), sym_matrix("K", 2, 2)]
    C = conv2d(xs, ws, stride=(1, 2))
    dxs, _ = conv2d_grad(xs, ws, stride=(1, 2))
    for c, x in enumerate(xs, 1):
        for i in range(1, 4):
            for j in range(1, 5):
                rule = chain_rule(xs, ws, i, j, channel=c, stride=(1, 2))
                # C sums over the channels: the entry's derivative of the whole sum is its own channel's terms
                assert rule.total == sum(sympy.diff(e, x[i - 1, j - 1]) for e in C) == dxs[c - 1][i - 1, j - 1]


def test_the_readme_repl_session_runs_as_written():
    """README's "A REPL session" (``from symconv import *`` first) gives the outputs it shows."""
    import doctest
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A REPL session", 1)[1]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    test = doctest.DocTestParser().get_doctest(block, {}, "README REPL session", "README.md", 0)
    assert len(test.examples) >= 10
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
