"""Torch's own implementations of what an assignment grades, switched off inside the sandbox.

A submission controls its whole process, so no check that runs there can stop it from handing in
torch's numbers as its own (rewriting the probes, say). What it cannot do is call code that is not
there. Each check module lists the torch code its graded classes must not be built on
(`<NAME>_SWITCHED_OFF`, gathered by `checks.declared`); for an assignment that uses the module, the sandbox sees:

- those Python modules (or classes and functions in them) replaced by stubs that raise
  `RuntimeError("... is switched off while grading ...")`: the stub file is mounted over torch's
  file and its compiled `__pycache__` copies are hidden, so neither an import, a reload nor reading
  the file finds torch's code;
- those aten kernels (`torch._fused_adam_`, every overload, CPU and CUDA) answered by a kernel that
  raises, registered through a handle the submission cannot reach (see child.py).

Targets are dotted names: `torch.optim.adam` (every class and function the module defines),
`torch.optim.lr_scheduler.StepLR` (one of them), `aten._fused_adam_` (a kernel).
"""

import ast
import functools
import importlib
import importlib.util
import os
from pathlib import Path
from typing import Iterable, Optional

FLAG = "uses-torch-implementation"
HEADER = "# Switched off while grading (autograder/sandbox/switch_off.py):"  # first line of every stub file



def message(what: str) -> str:
    """The stubs' error: it holds core.SWITCHED_OFF_MARK, which the grader and the checks look for."""
    from ..checks.core import SWITCHED_OFF_MARK  # one definition (core is inlined into the notebooks); imports torch

    return f"{what} {SWITCHED_OFF_MARK}: write your own (torch's runs in your notebook, not in the autograder)"


def split(targets: Iterable[str]) -> tuple[dict[str, Optional[set[str]]], list[str]]:
    """(python modules -> the names to stub, None for all; aten kernel names)."""
    modules: dict[str, Optional[set[str]]] = {}
    kernels: list[str] = []
    for target in targets:
        if target.startswith("aten."):
            kernels.append(target.removeprefix("aten."))
            continue
        if _is_module(target):
            modules[target] = None
            continue
        module, _, name = target.rpartition(".")
        if modules.get(module, set()) is not None:
            modules.setdefault(module, set()).add(name)  # type: ignore[union-attr]
    return modules, kernels


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def stub_source(source: str, module: str, names: Optional[set[str]]) -> str:
    """`source` with its top-level classes and functions (those in `names`, or all) replaced by stubs
    that raise. Everything else (imports, `__all__`, docstring assignments) stays, so the module
    imports as before and a class keeps its bases (a subclass of the stub still is an Optimizer)."""
    tree = ast.parse(source)
    body: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and (
                names is None or node.name in names):
            raise_it = ast.parse(f"raise RuntimeError({message(f'{module}.{node.name}')!r})").body
            if isinstance(node, ast.ClassDef):
                stub = ast.parse(f"class {node.name}:\n    def __init__(self, *args, **kwargs):\n        pass").body[0]
                stub.bases, stub.keywords = node.bases, node.keywords  # type: ignore[attr-defined]
                stub.body[0].body = raise_it  # type: ignore[attr-defined]
            else:
                stub = ast.parse(f"def {node.name}(*args, **kwargs):\n    pass").body[0]
                stub.body = raise_it  # type: ignore[attr-defined]
            body.append(stub)
        else:
            body.append(node)
    tree.body = body
    return f"{HEADER} a stub of {module}.\n" + ast.unparse(
        ast.fix_missing_locations(tree)) + "\n"


@functools.lru_cache(maxsize=None)
def _stub(module: str, names: Optional[frozenset]) -> tuple[str, str]:
    origin = importlib.util.find_spec(module).origin  # type: ignore[union-attr]
    # the path as Python finds it (the sandbox shows the Python installation at the same paths), not
    # with symbolic links resolved: a link would lead the mount away from the file the sandbox imports
    real = os.path.abspath(origin)  # type: ignore[arg-type]
    return real, stub_source(Path(real).read_text(), module, set(names) if names is not None else None)


def write_stubs(targets: Iterable[str], folder: Path) -> tuple[list[tuple[Path, str]], list[str], dict[str, str]]:
    """Write the stub files under `folder`. Returns (stub file, torch's real file) pairs to mount over
    each other (the compiled copies included, covered by an empty file), the aten kernels, and
    module -> stub file for a process without mounts (see child.py)."""
    modules, kernels = split(targets)
    mounts: list[tuple[Path, str]] = []
    by_module: dict[str, str] = {}
    folder.mkdir(parents=True, exist_ok=True)
    empty = folder / "empty"
    empty.write_bytes(b"")
    for module, names in modules.items():
        real, text = _stub(module, frozenset(names) if names is not None else None)
        stub = folder / f"{module}.py"
        stub.write_text(text)
        mounts.append((stub, real))
        by_module[module] = str(stub)
        cache = Path(real).parent / "__pycache__"
        if cache.is_dir():
            mounts += [(empty, str(pyc)) for pyc in sorted(cache.glob(f"{Path(real).stem}.*.pyc"))]
    return mounts, kernels, by_module


def strip_references(checks: Path) -> None:
    """In the sandbox's copy of the check modules (`checks`), the grader's own reference code (each module's
    `<NAME>_REFERENCE_ONLY`: what builds, trains or measures as the graded functions do) replaced by stubs
    that raise: a submission reaching into the checks finds neither the functions nor their source."""
    from ..checks import CHECK_MODULES, declared

    for module in CHECK_MODULES:
        names = declared([module], "_REFERENCE_ONLY")
        path = checks / f"{module}.py"
        if names and path.is_file():
            path.write_text(stub_source(path.read_text(), f"autograder_checks.{module}", set(names)))
