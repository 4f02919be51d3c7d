"""Run a notebook's code cells in this process, as a kernel would, without Jupyter.

The GPU machines have no nbclient, ipykernel or jupyter: this runs each code cell of a notebook,
in order, in one `__main__` namespace (what the notebook's tests read through `LocalStudent`), and
writes what happened as JSON: per cell its grade_id, kind (setup, answer, test, other) and error.

It also counts which device and dtype the checks chose: once the inlined check code has defined
`pick_device` and `DTYPES`, they are wrapped to count the devices they resolved ("auto" included)
and the dtypes they were asked for. Plotly figures are built but not shown (`show()` does nothing:
no browser, no front end).

    python scripts/run_notebook.py NOTEBOOK.ipynb OUT.json
"""

import builtins
import json
import sys
import time
import traceback
import types
from collections import Counter
from typing import Any


class _NoShell:
    """`get_ipython()` for the few lines that call it: magics and shell escapes do nothing here."""

    def system(self, *args: object, **kwargs: object) -> None:
        return None

    def run_line_magic(self, *args: object, **kwargs: object) -> None:
        return None

    def run_cell_magic(self, *args: object, **kwargs: object) -> None:
        return None


def _transform(source: str) -> str:
    """IPython syntax to Python where IPython is installed; elsewhere the source as it is."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    return TransformerManager().transform_cell(source)


def _quiet_plotly() -> bool:
    """Figures are built as in a notebook; `show()` draws nothing (there is no front end)."""
    try:
        from plotly.basedatatypes import BaseFigure
    except ImportError:
        return False
    BaseFigure.show = lambda self, *args, **kwargs: None  # type: ignore[method-assign]
    return True


class _CountingDtypes(dict):
    def __init__(self, data: dict, counts: Counter) -> None:
        super().__init__(data)
        self.counts = counts

    def __getitem__(self, key: Any) -> Any:
        self.counts[str(key)] += 1
        return super().__getitem__(key)


def _instrument(namespace: dict, devices: Counter, dtypes: Counter) -> None:
    """Count the checks' device and dtype choices (the inlined check code defines both names)."""
    pick = namespace.get("pick_device")
    if callable(pick) and not getattr(pick, "_counted", False):
        def counted(device: str = "auto", _pick: Any = pick) -> Any:
            chosen = _pick(device)
            devices[getattr(chosen, "type", str(chosen))] += 1
            return chosen

        counted._counted = True  # type: ignore[attr-defined]
        namespace["pick_device"] = counted
    table = namespace.get("DTYPES")
    if isinstance(table, dict) and not isinstance(table, _CountingDtypes):
        namespace["DTYPES"] = _CountingDtypes(table, dtypes)


def _kind(meta: dict) -> str:
    if meta.get("grade") and not meta.get("solution"):
        return "test"
    if meta.get("solution"):
        return "answer"
    if meta.get("locked"):
        return "setup"
    return "other"


def run(path: str) -> dict:
    with open(path) as f:
        nb = json.load(f)
    main = types.ModuleType("__main__")
    main.__dict__.update({"__builtins__": builtins, "get_ipython": _NoShell, "display": lambda *a, **k: None})
    sys.modules["__main__"] = main  # LocalStudent reads the notebook's globals from __main__
    namespace = main.__dict__
    devices: Counter = Counter()
    dtypes: Counter = Counter()
    plotly = _quiet_plotly()
    cells = []
    started = time.monotonic()
    for index, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id") or f"cell {index}"
        has_code = any(line.strip() and not line.strip().startswith("#") for line in source.splitlines())
        error = None
        cell_started = time.monotonic()
        try:
            code = _transform(source)
            namespace.setdefault("In", [""]).append(code)  # IPython's history of inputs, which the checks read
            exec(compile(code, f"<cell {grade_id}>", "exec"), namespace)
        except BaseException as exc:  # a cell's failure is data here, SystemExit included
            error = {"ename": type(exc).__name__, "evalue": str(exc)[:2000],
                     "where": "".join(traceback.format_exception(exc)[-3:])[-800:]}
        _instrument(namespace, devices, dtypes)
        cells.append({"grade_id": grade_id, "kind": _kind(meta), "has_code": has_code, "error": error,
                      "seconds": round(time.monotonic() - cell_started, 3)})
    import torch

    return {"notebook": path, "cells": cells, "devices": dict(devices), "dtypes": dict(dtypes),
            "plotly": plotly, "torch": torch.__version__, "cuda_available": torch.cuda.is_available(),
            "seconds": round(time.monotonic() - started, 3)}


if __name__ == "__main__":
    out = run(sys.argv[1])
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)
