"""What the source shows, found by parsing it: code to put before a person, the cells defining a name."""

from autograder.submission.screening import defining_sources, suspicious_code, top_level_names


def test_reaching_into_the_interpreter_is_seen():
    hits = suspicious_code([
        "import sys\nsys.settrace(None)", "import ctypes", "f = sys._getframe(1).f_back",
        "getattr(torch.ops.aten, '_fused_' + 'adam_')", "open('/proc/self/mem')", "os._exit(0)",
        "exec('x = 1')", "from importlib import reload",
    ])
    for expected in ("settrace", "ctypes", "_getframe", "f_back", "getattr(computed name)", "'/proc/self/mem'",
                     "_exit", "exec()", "importlib"):
        assert expected in hits, (expected, hits)


def test_ordinary_optimizer_code_is_not_suspicious():
    code = '''
import math
import torch
from torch.optim import Optimizer


class MyAdam(Optimizer):
    def step(self, closure=None):
        for group in self.param_groups:
            lr = getattr(self, "lr_override", group["lr"])
            for p in group["params"]:
                state = self.state[p]
                state.setdefault("step", 0)
        return None
'''
    assert suspicious_code([code, "not python ("]) == []


def test_defining_sources_finds_the_cells_that_define_a_name():
    a, b, c = "class MyAdam:\n    pass", "MyNAdam = 3", "x, (MyAdam, y) = 1, (2, 3)"
    assert top_level_names(c) == {"x", "MyAdam", "y"}
    assert defining_sources([a, b, c], "MyAdam") == [a, c]
    assert defining_sources([a, b], "Missing") == [a, b]


def test_a_notebooks_own_sources_come_from_its_history_of_inputs():
    """In Jupyter or Colab a class defined in a cell has no source file for inspect: the own-work checks,
    run locally, read the cell that defines it from IPython's `In`, the latest definition first."""
    from autograder.checks.core import LocalStudent

    first = "from torch.optim import Optimizer\n\nclass MyAdam(Optimizer):\n    pass\n"
    again = "class MyAdam(Optimizer):\n    def step(self, closure=None):\n        return None\n"
    namespace = {"In": ["", first, "print(MyAdam)", again, "x = MyAdam"]}
    assert LocalStudent(namespace).sources("MyAdam") == [again]
    assert LocalStudent({"In": [""]}).sources("MyNAdam") == []


def test_the_notebooks_twin_finds_the_same_names_as_the_grader():
    """checks.core cannot import the grader's rule (it is inlined into notebooks): its copy must agree."""
    from autograder.checks.core import _top_level_names

    sources = ["class MyAdam(Optimizer):\n    pass\n", "x, (y, z) = 1, (2, 3)\nw: int = 4\nv += 1\n",
               "import torch.optim as o\nfrom math import sqrt, pi as PI\nimport numpy.linalg\n",
               "def f():\n    inner = 1\n", "for i in range(3):\n    j = i\n", "not python (", ""]
    for source in sources:
        assert _top_level_names(source) == top_level_names(source), source
