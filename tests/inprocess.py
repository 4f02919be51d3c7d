"""Run an assignment's test cells in this process, against a namespace holding a submission's cells.

Much faster than grading through the sandbox (no process, no start-up), for tests of what the checks
*say*: which test cells fail for a known submission and with which message. The student's cells run
with `exec` into a plain namespace (as a notebook kernel would), and the checks reach them through
`core.LocalStudent`; the grade itself is tested end to end in test_grading.py.

    outcome = run_variant("adam", variant, visible_only=True)
    outcome.failed                     # ["adam-weight-decay", ...]
    outcome.messages["adam-eps"]       # the CheckFailure's text

torch's own implementations are not switched off here (the sandbox does that), so submissions built
on torch's classes behave differently: leave them to test_grading.py.
"""

import contextlib
import io
import json
import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Optional

from autograder import cells
from autograder.authoring.variants import Variant, solution_answers
from autograder.checks import core
from autograder.paths import THIS_REPO

_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", re.S)


@lru_cache(maxsize=None)
def source_notebook(assignment: str) -> dict:
    return json.loads(THIS_REPO.source_notebook(assignment).read_text())


_source, _meta = cells.source, cells.nbgrader


def graded_cells(assignment: str) -> list[dict]:
    """The auto-graded test cells of the source notebook, in order."""
    return [c for c in source_notebook(assignment)["cells"]
            if c["cell_type"] == "code" and _meta(c).get("grade") and not _meta(c).get("solution")]


def visible_part(source: str) -> str:
    return _HIDDEN.sub("", source)


def checks_namespace() -> dict:
    """What a test cell sees: the grader's own namespace for the tests."""
    from autograder.grading.runner import namespace_for_tests

    return namespace_for_tests()


class CellStudent(core.LocalStudent):
    """LocalStudent whose sources are the answer cells (inspect cannot read exec'd code)."""

    def __init__(self, namespace: dict, answers: dict[str, str]) -> None:
        super().__init__(namespace)
        self.answers = answers

    def sources(self, name: str) -> list[str]:
        defining = [s for s in self.answers.values() if re.search(rf"^(class|def) {name}\b", s, re.M)]
        return defining or list(self.answers.values())


def student_namespace(assignment: str, answers: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """The setup cells and the answer cells (the solution's, replaced by `answers`) run in a fresh
    namespace, in notebook order; ({grade_id: error} of the cells that raised)."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    errors = {}
    filled = {**solution_answers(source_notebook(assignment)), **answers}
    for cell in source_notebook(assignment)["cells"]:
        meta = _meta(cell)
        grade_id = meta.get("grade_id", "")
        if cell["cell_type"] != "code":
            continue
        if meta.get("solution"):
            code = filled[grade_id]
        elif grade_id.startswith("setup") and meta.get("locked"):
            code = _source(cell)
        else:
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                namespace.setdefault("In", [""]).append(code)  # IPython's history of inputs (the checks read it)
                exec(compile(code, f"<cell {grade_id}>", "exec"), namespace)
        except BaseException as error:  # a cell's error ends that cell, as in a notebook
            errors[grade_id] = f"{type(error).__name__}: {error}"
    return namespace, errors


@dataclass
class Outcome:
    failed: list[str] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)
    cell_errors: dict[str, str] = field(default_factory=dict)


def run_tests(assignment: str, answers: dict[str, str], visible_only: bool = False,
              only: Optional[list[str]] = None) -> Outcome:
    """Every test cell (or its visible part only), against the submission's cells in this process."""
    namespace, errors = student_namespace(assignment, answers)
    core.use_student(CellStudent(namespace, {**solution_answers(source_notebook(assignment)), **answers}))
    outcome = Outcome(cell_errors=errors)
    try:
        for cell in graded_cells(assignment):
            grade_id = _meta(cell)["grade_id"]
            if only is not None and grade_id not in only:
                continue
            code = visible_part(_source(cell)) if visible_only else _source(cell)
            try:
                with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exec(compile(code, f"<test {grade_id}>", "exec"), checks_namespace())
            except (core.CheckFailure, core.ProbeError) as failure:
                outcome.failed.append(grade_id)
                outcome.messages[grade_id] = str(failure)
    finally:
        core.use_student(None)
    return outcome


def run_variant(assignment: str, variant: Variant, visible_only: bool = False,
                only: Optional[list[str]] = None) -> Outcome:
    return run_tests(assignment, variant.answers, visible_only, only)
