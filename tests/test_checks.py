"""The check modules share one namespace in a notebook (inlined) and in the grader: no clashes."""

import importlib
import types

from autograder.checks import CHECK_MODULES


def test_check_modules_define_distinct_public_names():
    core = importlib.import_module("autograder.checks.core")
    owner: dict[str, str] = {}
    clashes = []
    for name in CHECK_MODULES:
        module = importlib.import_module(f"autograder.checks.{name}")
        for attr, value in vars(module).items():
            if attr.startswith("_") or getattr(core, attr, object()) is value or isinstance(value, types.ModuleType):
                continue
            if getattr(value, "__module__", module.__name__) not in (module.__name__, None) and callable(value):
                continue  # imported from torch/typing, not defined here
            if attr in owner and owner[attr] != name:
                clashes.append(f"{attr}: {owner[attr]} and {name}")
            owner.setdefault(attr, name)
    assert not clashes, f"one name, two meanings once inlined together: {clashes}"


def test_every_probe_is_registered_once_under_its_own_name():
    for name in CHECK_MODULES:
        importlib.import_module(f"autograder.checks.{name}")
    core = importlib.import_module("autograder.checks.core")
    assert core.PROBES, "no probes registered"
    for name, fn in core.PROBES.items():
        assert fn.__name__ == name
