"""The package's rooms and which may import which (README "Layout"; CONTRIBUTING.md): dependencies
point one way, from the command line down to the sandbox, and no module imports itself back."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "autograder"
BASE = {"paths", "cells", "results", "nbgrader_settings"}
# room -> rooms it may import (besides itself and the base modules)
ALLOWED = {
    "cli": {"authoring", "classroom", "grading", "sandbox", "submission", "checks"},
    "authoring": {"submission"},
    "classroom": {"grading", "sandbox", "submission"},
    "grading": {"sandbox", "submission", "checks"},
    "sandbox": {"checks"},
    "submission": set(),
    "checks": set(),
    "base": set(),
}


def room(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "autograder" or len(parts) == 1:
        return "base"
    if parts[1] == "__main__":  # `python -m autograder`: the command line's entry point
        return "cli"
    return "base" if parts[1] in BASE else parts[1]


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The autograder modules `path` imports (at any depth of its code: deferred imports count too)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("autograder")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("autograder"):
                found.add(target)
                found |= {f"{target}.{a.name}" for a in node.names if (PACKAGE.parent / f"{target}.{a.name}".replace(
                    ".", "/")).with_suffix(".py").is_file() or (PACKAGE.parent / f"{target}.{a.name}".replace(
                        ".", "/")).is_dir()}
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in imports(path) if m in modules and m != name} for name, path in modules.items()}


def test_each_room_imports_only_the_rooms_below_it():
    wrong = []
    for module, targets in graph().items():
        here = room(module)
        for target in targets:
            there = room(target)
            if there != here and there != "base" and there not in ALLOWED[here]:
                wrong.append(f"{module} -> {target}")
            if here == "base" and there != "base":
                wrong.append(f"{module} -> {target}")
    assert not wrong, wrong


def test_no_import_cycle():
    edges = graph()
    # package __init__ modules are imported on the way to their submodules: not an edge of the design
    edges = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in edges.items()}
    seen, on_path, cycles = set(), [], []

    def visit(node: str) -> None:
        if node in on_path:
            cycles.append(on_path[on_path.index(node):] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        on_path.append(node)
        for target in sorted(edges.get(node, ())):
            visit(target)
        on_path.pop()

    for module in sorted(edges):
        visit(module)
    assert not cycles, cycles
