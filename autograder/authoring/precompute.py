"""Keep the grader's reference code out of the student notebooks where it is the answer itself.

Most chapters compare with torch's own implementation, which is switched off while grading, so its
presence in a notebook gives nothing away. Where the grader's reference does what the students write
in plain torch (symmetry's constant-initialised MLP and its report), a check module declares those
functions in `<NAME>_NOT_HANDED_OUT`. For a notebook that inlines such a module, the build:

1. runs the notebook's own visible tests in this process, with the solution and the full reference,
   and records the reference data they computed (`core.trusted`'s cache);
2. writes the inlined module with those functions replaced by stubs, and the recorded data into
   `PRECOMPUTED` (floats rounded to 9 significant digits, and to 0 below 1e-12, so that a regeneration
   on another CPU, whose kernels may round differently in the last bits, writes the same bytes).

The visible tests in Colab then compare with the precomputed data; the autograder never uses the
notebook's copy of the checks (it imports `autograder/checks/`, with every reference).
"""

import ast
import contextlib
import io
import json
from pathlib import Path
from typing import Any

from .. import cells

DIGITS = 9
# Below every tolerance the checks compare with (atol >= 1e-9): rounding noise, such as a spread of
# 1.7e-17 on one CPU that is exactly 0 on another (AVX2 against AVX-512 kernels), is written as 0.
GRAIN = 1e-12
SUFFIX = "_NOT_HANDED_OUT"


def not_handed_out(module_paths: list[Path]) -> list[str]:
    """The names the modules declare in `<NAME>_NOT_HANDED_OUT` (a list, or the name of a list beside it),
    read from their source: the build imports no torch to learn them."""
    names: list[str] = []
    for path in module_paths:
        lists: dict[str, list[str]] = {}
        wanted: list[str] = []
        for node in ast.parse(path.read_text()).body:
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
                continue
            target = node.targets[0].id
            if isinstance(node.value, (ast.List, ast.Tuple)):
                lists[target] = [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
            if target.endswith(SUFFIX):
                wanted.append(target)
                if isinstance(node.value, ast.Name):
                    lists[target] = lists.get(node.value.id, [])
        names += [n for target in wanted for n in lists.get(target, []) if n not in names]
    return names


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        if abs(value) < GRAIN:
            return 0.0  # also -0.0, which JSON would write apart
        return float(f"{value:.{DIGITS}g}")
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def visible_reference_data(nb: Any) -> dict:
    """Run the notebook's set-up, helpers, solutions and the visible part of its tests in a fresh
    namespace; the reference data those tests computed, rounded."""
    namespace: dict = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in nb.cells:
            meta = cells.nbgrader(cell)
            if cell.cell_type != "code" or not meta.get("grade_id"):
                continue
            source = cells.source(cell)
            if meta.get("grade"):
                source = cells.without_hidden_tests(source)
                # the checks' local runner reads the notebook's globals: here, this namespace
                namespace["use_student"](namespace["LocalStudent"](namespace))
            exec(compile(source, f"<{meta['grade_id']}>", "exec"), namespace)
    return {key: _rounded(value) for key, value in sorted(namespace["_REFERENCE_CACHE"].items())}


def _stubbed(source: str, names: list[str]) -> str:
    """`source` with the top-level functions in `names` replaced by stubs; every other line as it is."""
    lines = source.splitlines()
    spans = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            spans.append((first, node.end_lineno or node.lineno, node.name))
    for first, last, name in sorted(spans, reverse=True):
        stub = [f"def {name}(*args, **kwargs):",
                '    """The autograder\'s own reference: not handed out (what the visible tests need of it is',
                '    precomputed at the end of this cell)."""',
                f"    raise RuntimeError({name + ': the autograder reference is not in the student notebook'!r})"]
        lines[first - 1:last] = stub
    return "\n".join(lines) + ("\n" if source.endswith("\n") else "")


def hand_out(nb: Any, helper_cells: list[int], names: list[str]) -> None:
    """Precompute the visible tests' reference data, then stub `names` in the helper cells and put the data
    at the end of the last one."""
    data = visible_reference_data(nb)
    for index in helper_cells:
        nb.cells[index].source = _stubbed(nb.cells[index].source, names)
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
    nb.cells[helper_cells[-1]].source = (
        nb.cells[helper_cells[-1]].source.rstrip("\n")
        + "\n\n# ---- precomputed by `python -m autograder build`: the visible tests' reference data ----\n"
        + f"PRECOMPUTED.update(json.loads({blob!r}))\n")
