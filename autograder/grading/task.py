"""A grading task as plain data, and the function a worker runs for it.

This is the contract between the class-level process and its workers (forked local processes, or
Dask workers on other machines): a `GradeTask` goes out, `SubmissionResult.to_json()` comes back.
Importing this module is cheap (torch is imported by the worker, when it grades).
"""

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional, Union

from ..results import SubmissionResult
from ..sandbox.limits import Limits
from ..submission.choose import Choice
from ..submission.program import build_program
from ..submission.read import load_source

# What a worker hands back for a task: the result as JSON, or the exception that ended it (a worker
# process that died, a lost Dask worker).
WorkerAnswer = Union[dict, BaseException]


@dataclass(frozen=True)
class GradeTask:
    source: str  # the source notebook (solutions/<a>/<a>.ipynb)
    folder: str  # the submission folder (submitted/<student>/<a>/)
    student: str
    assignment: str
    limits: dict  # Limits' fields
    isolation: str = "auto"
    refused: Optional[str] = None  # set by a Dask run: the class-level process chose no notebook, and why

    def with_files(self, source: Path, folder: Path) -> "GradeTask":
        """The same task on copies of the files (a Dask worker grades what it was sent)."""
        return GradeTask(**{**asdict(self), "source": str(source), "folder": str(folder)})


def grade_task(task: GradeTask) -> dict:
    """A worker's job: grade one submission; a bug in the grader costs this student, not the run."""
    from .submission import grade_choice, grade_submission

    source, limits = Path(task.source), Limits(**task.limits)
    try:
        if task.refused is not None:
            result = grade_choice(source, Choice(None, task.refused), task.student, task.assignment, limits,
                                  task.isolation)
        else:
            result = grade_submission(source, Path(task.folder), task.student, task.assignment, limits,
                                      task.isolation)
    except Exception as error:  # never lose the class to one submission: report it
        result = error_result(source, task.student, task.assignment, error)
    return result.to_json()


def blank_result(source: Path, student: str, assignment: str, status: str) -> SubmissionResult:
    """A result with no test run (0 points) that still knows the assignment's maximum."""
    result = SubmissionResult(student, assignment, status=status)
    try:
        result.max_score, result.manual_max = build_program(load_source(source), {"cells": []}).max_scores()
    except Exception:
        pass
    return result


def error_result(source: Path, student: str, assignment: str, error: BaseException) -> SubmissionResult:
    return blank_result(source, student, assignment, f"grader error: {type(error).__name__}: {error}")
