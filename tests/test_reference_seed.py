"""The course seed of the evaluation points: a digest of everything that defines the problem, so that two problems
never share points by accident, and one problem always gets the same ones."""

from __future__ import annotations

import copy

import pytest
import yaml

from grader.checkers.reference import Reference
from symconv.spec import TEMPLATES, load_spec


def _data(name: str) -> dict:
    return yaml.safe_load((TEMPLATES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("name", "edit"), [
    ("transposed-conv.yaml", lambda d: d["matrices"].update(X=[[1, 2], [3, 5]])),            # layers: an input
    ("transposed-conv.yaml", lambda d: d["layers"]["steps"][0].update(stride=1)),              # layers: a step
    ("cnn-layers.yaml", lambda d: d["network"]["layers"][0].update(kernel_size=3)),        # network
    ("homework.yaml", lambda d: d["matrices"]["A"][0].__setitem__(0, 9)),                     # convolution
])
def test_the_seed_follows_every_section(name, edit):
    data = _data(name)
    changed = copy.deepcopy(data)
    edit(changed)
    assert Reference(load_spec(data)).seed != Reference(load_spec(changed)).seed
    assert Reference(load_spec(data)).seed == Reference(load_spec(copy.deepcopy(data))).seed
