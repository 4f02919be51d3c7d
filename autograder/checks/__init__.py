"""Checks that the notebooks' tests call (inlined into the student notebooks), and what their modules declare."""

import importlib
from pathlib import Path
from typing import Iterable

# Every chapter's check module (core excepted): the sandbox imports them all (their probes register
# themselves), and a test cell sees all their public names.
CHECK_MODULES = sorted(p.stem for p in Path(__file__).resolve().parent.glob("*.py")
                       if p.stem not in ("__init__", "core"))


def import_all() -> None:
    """Import every check module, so that each one's probes are registered in core.PROBES."""
    for name in CHECK_MODULES:
        importlib.import_module(f"{__name__}.{name}")


def declared(modules: Iterable[str], suffix: str) -> list[str]:
    """The entries of every list the given check modules declare under a name ending in `suffix`
    (`_TRIPWIRES`, `_SWITCHED_OFF`), in order, without repeats."""
    found: list[str] = []
    for name in modules:
        module = importlib.import_module(f"{__name__}.{name}")
        for key, value in vars(module).items():
            if key.endswith(suffix) and isinstance(value, (list, tuple)):
                found += [v for v in value if v not in found]
    return found
