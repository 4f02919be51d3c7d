"""Resumed runs: a submission whose bytes, source notebook and grading code are unchanged keeps
its saved result instead of being graded again."""

from pathlib import Path
from typing import Optional

from ..grading.fingerprint import fingerprint, grading_code
from ..results import SubmissionResult, read_result
from ..submission.choose import choose_notebook
from .job import ClassJob


def current_fingerprint(source: Path, folder: Path) -> Optional[str]:
    """The fingerprint a grading of this submission gets (None: nothing to fingerprint)."""
    path = choose_notebook(folder, source.name).path
    if path is None:
        return None
    try:
        return fingerprint(source.read_bytes(), path.read_bytes())
    except OSError:
        return None


def saved_result(job: ClassJob, student: str) -> Optional[SubmissionResult]:
    """The result last saved for this student (None: none, or unreadable)."""
    path = job.layout.result(student, job.assignment)
    try:
        return read_result(path.read_text())
    except (OSError, ValueError):
        return None


def cached(job: ClassJob, student: str) -> Optional[SubmissionResult]:
    """The saved result of an unchanged submission (None: grade it)."""
    if job.force:
        return None
    result = saved_result(job, student)
    if result is None:
        return None
    current = current_fingerprint(job.source, job.submission(student))
    return result if current and result.fingerprint == current else None


def why_graded(job: ClassJob, students: list[str]) -> str:
    """Why these submissions are graded in this run, in a few words: "2 new, 1 changed since the last
    run, 30 graded by other code (the grader or the source notebook changed)", or "--force"."""
    if job.force:
        return "--force: every submission graded again"
    code = grading_code(job.source.read_bytes())
    new = changed = recoded = 0
    for student in students:
        saved = saved_result(job, student)
        if saved is None:
            new += 1
        elif saved.fingerprint.partition("-")[0] != code:
            recoded += 1
        else:
            changed += 1
    parts = [f"{new} new"] if new else []
    parts += [f"{changed} changed since the last run"] if changed else []
    parts += [f"{recoded} graded last by other code (the grader or the source notebook changed)"] if recoded else []
    return ", ".join(parts)
