"""Checks that the notebooks' tests call (inlined into the student notebooks), and what their modules declare."""

import importlib
from typing import Iterable


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
