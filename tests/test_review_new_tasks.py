"""Adversarial review of the new tasks' grading: answers as students write them (right in many notations, wrong in
ways a loose reader could accept, garbage), each with the verdict the grader must give. A right answer is full
marks (or a person's review when honestly ambiguous), a wrong one never gets credit, garbage never crashes."""

from __future__ import annotations

import pytest

from grader import grade
from grader.result import NEEDS_REVIEW
from symconv.spec import TEMPLATES, load_spec

_SPECS: dict = {}


def verdict(spec: str, part: str, answer: object) -> str:
    """full / zero / partial / review: what grader.grade made of one answer."""
    if spec not in _SPECS:
        _SPECS[spec] = load_spec(TEMPLATES / f"{spec}.yaml")
    result = grade(_SPECS[spec], {"student": "s", "answers": {part: answer}})
    p = next(p for p in result.parts if p.part == part)
    if p.status == NEEDS_REVIEW:
        assert p.score < p.max_score   # the entries read may score "so far"; the part is never full
        return "review"
    return "full" if p.score == p.max_score else "zero" if p.score == 0 else "partial"


CNN, RF = "cnn-layers", "receptive-field"
TIES, OVERLAP, LP, TRUE = "maxpool-backprop-ties", "pool-gradients-overlap", "lp-pool-gradient", "true-convolution"
MULTI = "multichannel-relu-pool"
Z1 = [[3, -3, 2, 8], [-2, 4, 2, 8], [1, 2, 5, 4], [3, 3, 0, 5]]   # the template's Z (its two output channels)
Z2 = [[-1, 0, 3, -1], [0, -2, 2, -1], [-1, -2, 1, -2], [-3, -5, -6, -3]]
TIES_X = [[1, 3, 2, 2], [3, 0, 1, 0], [4, 2, 5, 1], [0, 1, 5, 3]]   # the template's X (its gradient is sparse)
TIES_GRAD = [[0, 1, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]

BM_RIGHT = ("\\begin{bmatrix} 0 & 1 & 1 & 0 \\\\ 0 & 0 & 0 & 0 \\\\ 1 & 0 & 1 & 0 \\\\ 0 & 0 & 0 & 0 "
            "\\end{bmatrix}")
BM_ALL_TIES = BM_RIGHT.replace("1 & 1 & 0 \\\\ 0", "1 & 1 & 1 \\\\ 1", 1)   # pool-tie-all's first rows

CASES = [   # (spec, part, answer, verdict)
    # a receptive field with its working: the size is the last side, not a product inside the working
    (RF, "3.1b", "5 + (3-1)*2*2 = 13", "full"),
    (RF, "3.1b", "5 + (3-1) \\cdot 2 \\cdot 2 = 13", "full"),
    (CNN, "2.1f", "7 + 2 = 9", "full"),
    (CNN, "2.1f", "9 = 7", "review"),
    (RF, "3.1b", "5 + (3-1)*2*2 = 9", "review"),
    (RF, "3.1b", "13x13", "full"),
    (RF, "3.1b", "13", "full"),
    (RF, "3.1b", "13x9", "zero"),
    (CNN, "2.1f", "9 \\times 9 \\text{ pixels}", "full"),
    (RF, "3.1b", "r_3 = r_2 + (k-1) j = 5 + 2 \\cdot 4 = 13", "full"),
    (RF, "3.1b", "13 \\times 13 = 169", "full"),   # the size, and its area worked out
    (RF, "3.1a", "5 \\times 5 = 25 pixels", "full"),
    (RF, "3.1c", "16 \\times 32 \\times 32 = 16384", "full"),
    (RF, "3.1b", "169", "zero"),
    (RF, "3.1b", "r = 5 + 8 = 12", "review"),
    # a count whose working contradicts its last side is not a right count
    (CNN, "2.1c", "4*4*3*32 = 1568", "review"),
    (CNN, "2.1c", "4*4*3*32+32 = 1536", "review"),
    (CNN, "2.1c", "4*4*3*32+32 = 1568", "full"),
    (CNN, "2.1c", "(4 \\cdot 4 \\cdot 3 + 1) \\times 32 = 1568", "full"),
    (CNN, "2.1c", "1568 = 1536", "review"),
    (CNN, "2.1d", "1568 + 18496 = 20064", "full"),
    (CNN, "2.1d", "1568 + 18400 = 20064", "review"),
    (CNN, "2.1e", "14*14*64*3*3*32 = 3612672 MACs", "full"),
    # a count's x is a product (as a name, x let 4x4x3x32 = 1568 escape the working's check)
    (CNN, "2.1c", "4x4x3x32 = 1568", "review"),
    (CNN, "2.1c", "4 \\times 4 \\times 3 \\times 32 = 1568", "review"),
    (CNN, "2.1c", "(4x4x3x32) + (32) = 1568 (learnable parameters)", "full"),
    (CNN, "2.1c", "(4x4x3+1)x32", "full"),
    (CNN, "2.1c", "4x4x3x32", "zero"),   # bias-forgotten, diagnosed (the template's rubric leaves no credit)
    (CNN, "2.1c", "Total params: 1,568", "full"),
    (CNN, "2.1c", "1568 trainable params", "full"),
    (CNN, "2.1e", "(3x3x32) x (14x14) x (64) = 3612672", "full"),
    (CNN, "2.1c", "0x1F", "zero"),   # read 0 * 1F: garbage, a clear zero
    # right in other notations, wrong, garbage
    (CNN, "2.1a", "(29, 29, 32)", "full"),
    (CNN, "2.1a", "torch.Size([32, 29, 29])", "full"),
    (CNN, "2.1a", "29x32x29", "zero"),
    (CNN, "2.1a", "32x29", "zero"),
    (CNN, "2.1c", "10^10^10", "review"),
    (CNN, "2.1c", "(" * 300 + "1568" + ")" * 300, "review"),
    (CNN, "2.1c", "-1568", "review"),
    (CNN, "2.1f", "9x9x32", "zero"),
    # a sparse gradient: the zero matrix, or the input copied, has only zeros right and earns nothing
    (TIES, "1c", [[0] * 4] * 4, "zero"),
    (TIES, "1c", TIES_X, "zero"),
    (OVERLAP, "1c", [[0] * 6] * 6, "zero"),
    (LP, "1b", [[0] * 4] * 4, "zero"),
    (TRUE, "1a", [[0] * 3] * 3, "zero"),
    (TIES, "1c", [[1] * 4] * 4, "partial"),   # its four right ones are work
    (TIES, "1c", [[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], "partial"),
    (TIES, "1c", TIES_GRAD, "full"),
    (TIES, "1c", "[[0 1 1 0]\n [0 0 0 0]\n [1 0 1 0]\n [0 0 0 0]]", "full"),
    (TIES, "1c", "\\frac{\\partial E}{\\partial X} = \\begin{bmatrix} 0 & 1 & 1 & 0 \\\\ 0 & 0 & 0 & 0 \\\\ "
     "1 & 0 & 1 & 0 \\\\ 0 & 0 & 0 & 0 \\end{bmatrix}", "full"),
    (TIES, "1c", [[3, 2], [4, 5]], "zero"),   # the forward result
    (TIES, "1c", "\\begin{bmatrix}\\end{bmatrix}", "review"),
    (TIES, "1c", [[[0, 1], [1, 0]]] * 4, "review"),
    # a bias's gradient is a vector: flat, as a column or as a row it is the same answer (not "transposed")
    (MULTI, "2a", [[4, 2]], "full"),
    (MULTI, "2a", [4, 2], "full"),
    (MULTI, "2a", [[4], [2]], "full"),
    (MULTI, "2a", {"b": [4, 2]}, "full"),
    (MULTI, "2a", "\\begin{bmatrix} 4 \\\\ 2 \\end{bmatrix}", "full"),
    (MULTI, "2a", "[4, 2]", "full"),
    (MULTI, "2a", "(4, 2)", "full"),
    (MULTI, "2a", "db = [4, 2]", "full"),
    (MULTI, "2a", "\\frac{\\partial L}{\\partial b} = (4, 2)", "full"),
    (MULTI, "2a", "[4; 2]", "full"),
    (MULTI, "2a", [2, 4], "zero"),
    (MULTI, "2a", "(2, 4)", "zero"),
    (MULTI, "2a", [[2], [4]], "zero"),
    (MULTI, "2a", [4, 2, 0], "zero"),
    (MULTI, "2a", "[4, 2) and (1, 1]", "review"),
    (MULTI, "2a", "6", "zero"),
    (MULTI, "2a", [], "review"),
    # two different answers for one matrix (Z[1] and z1): keeping the last would be a guess, and a hedge
    (MULTI, "1a", {"Z[1]": [[9] * 4] * 4, "z1": Z1, "Z[2]": Z2}, "review"),
    (MULTI, "1a", {"Z[1]": Z1, "z1": Z1, "Z[2]": Z2}, "full"),
    (MULTI, "1a", {"Z[1]": Z1, "Z[2]": Z2}, "full"),
    (MULTI, "2a", {"b": [4, 2], "B": [9, 9]}, "review"),
    # hedges: two answers, of which the grader must not pick the right one
    (TIES, "1c", BM_ALL_TIES + " = " + BM_RIGHT, "review"),
    (TIES, "1c", BM_RIGHT + " = " + BM_RIGHT, "full"),
    (TIES, "1c", "\\frac{\\partial E}{\\partial X} = " + BM_RIGHT, "full"),
    (CNN, "2.1c", "1568 \\text{ (or 1536 without bias)}", "review"),
    (CNN, "2.1c", "1568 \\text{ (1536 weights and 32 biases)}", "full"),
    (CNN, "2.1c", "1536 or 1568", "review"),
    # a 2-D size with a trailing 1 (one channel?): a person reads it; 5 × 5 × 2 is wrong
    ("transposed-conv", "1a", "5 \\times 5 \\times 1", "review"),
    (TIES, "1a", "2x2x1", "review"),
    (TIES, "1a", "2x2x2", "zero"),
    (TIES, "1a", "2x2", "full"),
    # a decimal with its digits elided is not a wrong entry: a person reads it
    (LP, "1b", [["0.4472...", "\\frac{2}{\\sqrt{5}}", "2/5", "4/5"], ["0", "0", "1/5", "2/5"],
                ["2/7", "3/7", "1/2", "1/2"], ["6/7", "0", "1/2", "1/2"]], "review"),
    (LP, "1b", [["0.44721", "\\frac{2}{\\sqrt{5}}", "2/5", "4/5"], ["0", "0", "1/5", "2/5"],
                ["2/7", "3/7", "1/2", "1/2"], ["6/7", "0", "1/2", "1/2"]], "full"),
    # the forward parts keep their orientation: a transposed output is diagnosed
    (MULTI, "1c", {"Y[1]": [[4, 3], [8, 5]], "Y[2]": [[0, 0], [3, 1]]}, "partial"),
    (MULTI, "1c", {"Y[1]": [[4, 8], [3, 5]], "Y[2]": [[0, 3], [0, 1]]}, "full"),
]


def _kernel_sums() -> dict[str, str]:
    from symconv import derive_solution
    from symconv.latex import latex
    from symconv.tasks import kernel_gradient

    rules = kernel_gradient.kernel_chain(derive_solution(TEMPLATES / "stride2-padding1.yaml"))
    return {f"K_{{{m}{n}}}": latex(rule.total) for (m, n), rule in rules.items()}


@pytest.mark.parametrize(("extra", "expected"), [
    ({}, "full"),
    ({"K11": "A_{11}"}, "review"),                    # K11 and K_{11} answered differently: a hedge
    ({"K11": "A_{22} + A_{24} + A_{42} + A_{44}"}, "full"),   # the same answer twice
])
def test_two_answers_for_one_kernel_entry(extra, expected):
    right = _kernel_sums()
    assert verdict("stride2-padding1", "1g", {**extra, **right}) == expected
    assert verdict("stride2-padding1", "1g", {**right, **extra}) == expected


@pytest.mark.parametrize(("spec", "part", "answer", "expected"), CASES)
def test_review_verdicts(spec, part, answer, expected):
    assert verdict(spec, part, answer) == expected
