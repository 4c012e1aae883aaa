"""docs/tour.ipynb runs as a user runs it, and what it shows renders as tables.

The notebook's code cells are executed in order (without Jupyter: the value of each cell's
last expression is rendered the way Jupyter does, with ``_repr_html_`` where there is one).
"""

from __future__ import annotations

import ast
import json
import sys
import types

from tests.conftest import ROOT

TOUR = ROOT / "docs" / "tour.ipynb"


def _run_cell(source: str, namespace: dict) -> object:
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<tour>", "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), "<tour>", "eval"), namespace)


def test_the_tour_runs_and_every_list_renders_as_a_table(monkeypatch):
    if "IPython.display" not in sys.modules:  # Jupyter is not a test dependency
        stub = types.ModuleType("IPython.display")
        stub.Markdown = str
        monkeypatch.setitem(sys.modules, "IPython", types.ModuleType("IPython"))
        monkeypatch.setitem(sys.modules, "IPython.display", stub)
    cells = json.loads(TOUR.read_text())["cells"]
    namespace: dict = {}
    shown = []
    for cell in cells:
        if cell["cell_type"] == "code":
            shown.append(_run_cell("".join(cell["source"]), namespace))
    tables = [value._repr_html_() for value in shown if hasattr(value, "_repr_html_")]
    assert len(tables) >= 10
    assert all("<table>" in html or "no items" in html for html in tables)
    balances = next(v for v in shown if type(v).__name__ == "FetchResults")
    assert {r.broker for r in balances} == {"dxtrade", "matchtrade", "tradelocker", "projectx"}
    assert all(r.ok for r in balances)
    trades = namespace["trades"]
    assert isinstance(trades, list) and len(trades) == 5
    assert " UTC</td>" in trades._repr_html_()  # times shown in UTC to the second
