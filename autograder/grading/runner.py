"""Run the trusted test cells in the grader's own process (which never executes student code).

A test cell calls the checks (autograder/checks/); they reach the student's code only through
`student()`, the session's RemoteStudent, so nothing the submission does can change a comparison,
a reference or a test.
"""

import contextlib
import importlib
import io
import math
from typing import Any, Optional

import numpy as np
import torch

from ..checks import CHECK_MODULES, core
from .session import StudentCodeStopped


def namespace_for_tests() -> dict:
    """What a test cell can call: the public names of every checks module, plus torch/numpy/math."""
    namespace: dict[str, Any] = {"torch": torch, "np": np, "numpy": np, "math": math}
    for module_name in ["core", *CHECK_MODULES]:
        module = importlib.import_module(f"autograder.checks.{module_name}")
        namespace.update({k: v for k, v in vars(module).items() if not k.startswith("_")})
    return namespace


def run_test(cell_source: str, grade_id: str, namespace: dict) -> tuple[bool, str, str, Optional[str]]:
    """Execute one trusted test cell: (passed, message, printed output, integrity flag)."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(cell_source, f"<test {grade_id}>", "exec"), dict(namespace))
    except core.IntegrityFlag as flag:
        return False, str(flag), printed.getvalue(), flag.flag
    except core.CheckFailure as failure:
        return False, str(failure), printed.getvalue(), None
    except core.ProbeError as error:
        return False, f"your code raised {error.describe()}", printed.getvalue(), None
    except StudentCodeStopped as stopped:
        return False, str(stopped), printed.getvalue(), None
    except Exception as error:  # a bug in a test must not take the class down: report it
        return False, f"internal error in test {grade_id}: {type(error).__name__}: {error}", printed.getvalue(), None
    return True, "", printed.getvalue(), None
