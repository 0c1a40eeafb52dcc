"""examples/explore.ipynb runs: a real Jupyter kernel (nbclient + ipykernel) executes a copy, every cell without
error and the checked cells with their key output; the saved file carries the same outputs, so it reads on
GitHub as it runs."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "explore.ipynb"


def text_of(cell) -> str:
    """Everything a reader sees as text in a code cell's outputs."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts += [out.data.get(kind, "") for kind in ("text/plain", "text/html", "text/latex")]
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    return "\n".join(parts)


def kinds(cell) -> list[str]:
    return sorted(kind for out in cell.get("outputs", []) for kind in getattr(out, "data", {"stream": 0}))


@pytest.fixture(scope="module")
def saved():
    return nbformat.read(NOTEBOOK, as_version=4)


@pytest.fixture(scope="module")
def executed(saved):
    """A copy of the notebook with its outputs cleared, executed by a Jupyter kernel in examples/."""
    nb = copy.deepcopy(saved)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    NotebookClient(nb, timeout=600, startup_timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()   # raises on a cell error
    return nb


def code_cells(nb) -> list:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def test_every_cell_runs_without_error(executed):
    cells = code_cells(executed)
    assert len(cells) >= 20
    for cell in cells:
        assert cell.execution_count is not None
        assert not [out for out in cell.outputs if out.output_type == "error"], cell.source


def test_checked_cells_show_their_key_output(executed):
    checked = [cell for cell in code_cells(executed) if "check" in cell.metadata]
    assert len(checked) >= 15
    for cell in checked:
        assert cell.metadata["check"] in text_of(cell), cell.source


def test_each_walkthrough_step_draws_its_picture(executed):
    pictures = {cell.source.splitlines()[-1]: cell for cell in code_cells(executed) if "image/png" in kinds(cell)}
    expected = ["symconv.plot.sliding_window(A, B, (1, 2))", "hw.plot_gradient()", "limits.plot()",
                "symconv.plot.score_histogram(results)"]
    assert [line for line in expected if line in pictures] == expected


@pytest.mark.parametrize(("needle", "kind"), [
    ("limits", "text/html"), ("rule", "text/latex"), ("hw", "text/latex"), ("proof", "text/latex"),
])
def test_objects_display_richly(executed, needle, kind):
    (cell,) = [c for c in code_cells(executed) if c.source.splitlines()[-1] == needle]
    assert kind in kinds(cell)


def test_the_saved_notebook_holds_the_outputs_it_gives_now(saved, executed):
    """Saved with outputs (GitHub shows them), and they are the current ones: the same text, the same kinds."""
    for old, new in zip(code_cells(saved), code_cells(executed), strict=True):
        assert old.source == new.source
        assert kinds(old) == kinds(new), old.source
        assert text_of(old) == text_of(new), old.source
        assert "Traceback" not in text_of(old)


def test_the_readme_picture_exists():
    pictures = sorted((ROOT / "docs").glob("explore-*.png"))
    assert pictures and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pictures)
