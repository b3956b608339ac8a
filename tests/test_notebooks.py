"""The notebooks run from top to bottom in a fresh kernel, without errors or warnings.

How long they take is measured by ``benchmarks/bench_notebooks.py``, not asserted here:
a test that fails because the machine is busy tests the machine. The cell timeout is a
hang guard only. They execute with nbclient in a kernel of the interpreter running the
tests (the ``python3`` kernel spec's ``python`` is replaced by ``sys.executable`` when
started), with the notebooks' folder as working directory, as a user opening them in
Jupyter would.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
EXPECTED = (
    "promo_peak_staffing",
    "wait_time_distributions",
    "reproduce_document",
    "fit_from_log",
    "shared_or_dedicated_teams",
)
CELL_TIMEOUT_S = 900  # a hang guard: a cell that has run this long is stuck


def _execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    return nb


def _outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


def test_the_kernel_is_this_interpreter():
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import sys; print(sys.executable)")]
    )
    (out,) = _outputs(_execute(nb))
    assert Path(out["text"].strip()).resolve() == Path(sys.executable).resolve()


def test_every_notebook_is_here():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_is_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_top_to_bottom(name):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    _execute(nb)  # raises CellExecutionError, naming the cell, on any error
    outputs = _outputs(nb)
    assert not [o for o in outputs if o["output_type"] == "error"]
    # The figures are drawn (as images), and the computed prose is printed.
    assert any("image/png" in o.get("data", {}) for o in outputs)
    assert any(o["output_type"] == "stream" and o["name"] == "stdout" for o in outputs)
    # No warnings shown to the reader (stderr is where they would land).
    assert not [o for o in outputs if o["output_type"] == "stream" and o["name"] == "stderr"]
