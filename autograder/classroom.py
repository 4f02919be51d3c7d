"""Grade a whole class: every `submitted/<student>/<assignment>/`, in parallel, resumable.

Each submission is graded by `grading.grade_submission` in a worker (a local process, or a Dask
worker with `scheduler=`). Results arrive here one by one: they are saved as
`autograded/<student>/<assignment>/result.json` (the resume point: an unchanged submission is not
graded again), stored in the nbgrader gradebook, and summarised in `grades.csv`.
"""

import csv
import json
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from .build import REPO
from .grading import SubmissionResult, fingerprint, grade_submission, result_json
from .notebook import find_notebook
from .sandbox import Limits

CSV_COLUMNS = ["student_id", "assignment", "score", "max_score", "status", "flags", "tests_passed", "tests_total",
               "manual_max", "needs_manual_grade", "seconds", "notes"]


@dataclass
class ClassJob:
    course: Path
    assignment: str
    source: Path
    limits: Limits = field(default_factory=Limits)
    isolation: str = "auto"
    workers: int = os.cpu_count() or 1
    scheduler: Optional[str] = None
    db_url: Optional[str] = None
    force: bool = False
    students: Optional[list[str]] = None
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)


def find_source(course: Path, assignment: str) -> Path:
    """The nbgrader source notebook: the course's own, else this repository's."""
    for root in (course, REPO):
        path = root / "solutions" / assignment / f"{assignment}.ipynb"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no source notebook solutions/{assignment}/{assignment}.ipynb in {course} or {REPO}")


def submissions(course: Path, assignment: str, only: Optional[Iterable[str]] = None) -> list[str]:
    """Student ids with a `submitted/<student>/<assignment>` entry, sorted."""
    root = course / "submitted"
    if not root.is_dir():
        return []
    found = sorted(p.name for p in root.iterdir() if (p / assignment).exists() and not p.name.startswith("."))
    return [s for s in found if only is None or s in set(only)]


def _result_path(course: Path, student: str, assignment: str) -> Path:
    return course / "autograded" / student / assignment / "result.json"


def _current_fingerprint(job: ClassJob, student: str) -> Optional[str]:
    folder = job.course / "submitted" / student / job.assignment
    if not folder.is_dir():
        return None
    path, _ = find_notebook(folder, job.source.name)
    if path is None:
        return None
    try:
        return fingerprint(job.source.read_bytes(), path.read_bytes())
    except OSError:
        return None


def _cached(job: ClassJob, student: str) -> Optional[SubmissionResult]:
    path = _result_path(job.course, student, job.assignment)
    if job.force or not path.is_file():
        return None
    try:
        result = SubmissionResult.from_json(json.loads(path.read_text()))
    except (ValueError, TypeError, KeyError):
        return None
    current = _current_fingerprint(job, student)
    return result if current and result.fingerprint == current else None


def grade_one(source: str, folder: str, student: str, assignment: str, limits: dict, isolation: str) -> dict:
    """A worker's task (plain arguments and result, so it can travel to a Dask worker)."""
    folder_path = Path(folder)
    if not folder_path.is_dir():
        result = SubmissionResult(student, assignment, status="submission is not a folder")
    else:
        try:
            result = grade_submission(Path(source), folder_path, student, assignment, Limits(**limits), isolation)
        except Exception as error:  # never lose the class to one submission: report it
            result = SubmissionResult(student, assignment, status=f"grader error: {type(error).__name__}: {error}")
    return result.to_json()


def _error_result(student: str, assignment: str, error: BaseException) -> SubmissionResult:
    return SubmissionResult(student, assignment, status=f"grader error: {type(error).__name__}: {error}")


def grade_class(job: ClassJob) -> list[SubmissionResult]:
    """Grade every submission of the assignment; write results, gradebook and grades.csv."""
    from . import feedback, gradebook

    students = submissions(job.course, job.assignment, job.students)
    db_url = job.db_url or gradebook.default_db_url(job.course)
    gradebook.ensure_assignment(db_url, job.assignment, job.source)
    results: dict[str, SubmissionResult] = {}
    todo = []
    for student in students:
        cached = _cached(job, student)
        if cached is not None:
            results[student] = cached
        else:
            todo.append(student)
    if results:
        job.progress(f"{len(results)} submission(s) unchanged since the last run: kept their grades")
    started, done = time.monotonic(), 0

    def finished(result: SubmissionResult) -> None:
        nonlocal done
        done += 1
        results[result.student_id] = result
        path = _result_path(job.course, result.student_id, job.assignment)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(result_json(result))
        os.replace(tmp, path)  # a run interrupted here leaves the old result or the new, never half
        gradebook.record(db_url, result, job.source.stem)
        feedback.write_feedback(job.course, result)
        elapsed = time.monotonic() - started
        eta = elapsed / done * (len(todo) - done)
        bar = "#" * int(20 * done / max(1, len(todo)))
        job.progress(f"[{bar:<20}] {done}/{len(todo)} {result.student_id}: {result.score:g}/{result.max_score:g} "
                     f"{result.status} ({result.seconds:.1f} s) ETA {eta:.0f} s")

    limits = vars(job.limits)
    args = [(str(job.source), str(job.course / "submitted" / s / job.assignment), s, job.assignment, limits,
             job.isolation) for s in todo]
    try:
        if job.scheduler:
            from .cluster import run_on_dask

            for student, data in run_on_dask(job.scheduler, grade_one, args):
                finished(SubmissionResult.from_json(data) if isinstance(data, dict)
                         else _error_result(student, job.assignment, data))
        elif args:
            _run_local(args, job.workers, finished)
    finally:
        write_csv(job.course / "grades.csv", [results[s] for s in students if s in results])
    return [results[s] for s in students if s in results]


def _run_local(args: list[tuple], workers: int, finished: Callable[[SubmissionResult], None]) -> None:
    """Grade in `workers` processes, handing each finished result back as it comes."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # no fork of a process that holds torch threads
    with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context) as pool:
        pending: dict[Future, tuple] = {pool.submit(grade_one, *a): a for a in args}
        while pending:
            ready, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in ready:
                a = pending.pop(future)
                try:
                    data: Any = future.result()
                    result = SubmissionResult.from_json(data)
                except Exception as error:  # a worker that died takes only its own submission
                    result = _error_result(a[2], a[3], error)
                finished(result)


def write_csv(path: Path, results: list[SubmissionResult]) -> None:
    rows = []
    for r in results:
        rows.append({
            "student_id": r.student_id, "assignment": r.assignment, "score": f"{r.score:g}",
            "max_score": f"{r.max_score:g}", "status": r.status, "flags": " ".join(r.flags),
            "tests_passed": sum(t.passed for t in r.tests), "tests_total": len(r.tests),
            "manual_max": f"{r.manual_max:g}",
            "needs_manual_grade": any(a.strip() not in ("", "YOUR ANSWER HERE") for a in r.manual_answers.values()),
            "seconds": f"{r.seconds:.2f}", "notes": "; ".join(r.notes),
        })
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
