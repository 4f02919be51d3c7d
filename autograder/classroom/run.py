"""Grade a whole class: every `submitted/<student>/<assignment>/`, in parallel, resumable.

Each submission is graded in a worker (`grading.task.grade_task`): a local process (local.py) or a
Dask worker (cluster.py), behind one interface (`Backend`). Results arrive here one by one, as they
finish: each is saved as `autograded/<student>/<assignment>/result.json` (the resume point: an
unchanged submission is not graded again) beside the autograded notebook nbgrader's formgrader and
feedback read, stored in the nbgrader gradebook (with the submission's time and late penalty),
turned into the student's feedback page, and summarised in `grades.csv` at the end, whatever
stopped the run: every student with a result has a row.
"""

import contextlib
import os
import time
from typing import Callable, Iterator, Protocol

from ..grading.task import GradeTask, WorkerAnswer, error_result
from ..results import SubmissionResult, result_json
from ..submission.read import load_source
from .job import ClassJob, submissions
from .resume import cached, saved_result, why_graded


class Interrupted(Exception):
    """The run was stopped (Ctrl-C) after `graded` of `total` submissions; everything finished is saved."""

    def __init__(self, graded: int, total: int) -> None:
        super().__init__(f"interrupted: {graded} of {total} graded in this run; run again to continue")
        self.graded, self.total = graded, total


class Writer:
    """Everything the class-level process writes for one result, with what it needs loaded once."""

    def __init__(self, job: ClassJob, db_url: str) -> None:
        from . import gradebook
        from .autograded import release_for

        self.job, self.db_url = job, db_url
        self.source = load_source(job.source)
        self.release = release_for(job.source)
        self.late = gradebook.late_penalties(job.course)
        self.recorder = gradebook.Recorder(db_url)  # one gradebook open for the whole run
        self.saved = 0  # results written in this run (result.json: what a run interrupted later keeps)

    def save(self, result: SubmissionResult, previous: "SubmissionResult | None") -> None:
        """result.json (atomically: a run interrupted here leaves the old result or the new, never half),
        the autograded notebook, the gradebook, the feedback page."""
        from . import feedback
        from .autograded import write_autograded
        from .submitted_files import submission_timestamp

        job = self.job
        timestamp, problem = submission_timestamp(job.submission(result.student_id))
        if problem and problem not in result.notes:
            result.notes.append(problem)
            result.status = problem if result.status == "ok" else f"{result.status}; {problem}"
        path = job.layout.result(result.student_id, job.assignment)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(result_json(result))
        os.replace(tmp, path)
        self.saved += 1
        write_autograded(job.course, result, job.source, self.source, self.release)
        self.recorder.record(result, job.source.stem, timestamp,
                             previous.manual_answers if previous is not None else None, self.late)
        feedback.write_feedback(job.course, result, job.feedback)

    def keep(self, kept: dict[str, SubmissionResult]) -> None:
        """Unchanged submissions keep their result; make sure this gradebook (it may be a new one), the
        autograded notebooks and the feedback pages have it too."""
        from . import feedback, gradebook
        from .autograded import write_autograded
        from .submitted_files import submission_timestamp

        job = self.job
        known = gradebook.read_scores(self.db_url, job.assignment)
        for student, result in kept.items():
            if known.get(student) != result.score:
                timestamp, _ = submission_timestamp(job.submission(student))
                self.recorder.record(result, job.source.stem, timestamp, result.manual_answers, self.late)
            if not job.layout.autograded_notebook(student, job.assignment).is_file():
                write_autograded(job.course, result, job.source, self.source, self.release)
            # always: a run with another --feedback mode rewrites the pages of unchanged submissions too
            feedback.write_feedback(job.course, result, job.feedback)


class Backend(Protocol):
    """Where submissions are graded."""

    def where(self, tasks: int) -> str:
        """Words for the progress line: "2 local worker(s)", "the Dask cluster at tcp://..."."""

    def run(self, tasks: list[GradeTask]) -> Iterator[tuple[str, WorkerAnswer]]:
        """Start every task; yield (student, result dict or exception) as they finish."""

    def close(self) -> None:
        ...


def open_backend(job: ClassJob) -> Backend:
    """Local workers, or the Dask cluster at `job.scheduler`. Local workers start warming up now
    (importing the grader in a fork server), while the caller does other work."""
    if job.scheduler:
        from .cluster import DaskBackend

        return DaskBackend(job.scheduler, progress=job.progress)
    from .local import LocalBackend, cuda_devices, default_workers

    return LocalBackend(job.workers or default_workers(), cuda_devices() if job.gpus is None else job.gpus)


class Progress:
    """One line per finished submission (readable in CI logs): a bar, counts, the result, elapsed, ETA."""

    def __init__(self, total: int, out: Callable[[str], None]) -> None:
        self.total, self.out = total, out
        self.done = 0
        self.started = time.monotonic()

    def __call__(self, result: SubmissionResult) -> None:
        self.done += 1
        elapsed = time.monotonic() - self.started
        left = self.total - self.done
        # the pace so far, per finished submission, times what is left (all workers busy meanwhile)
        eta = elapsed / self.done * left
        bar = "#" * int(20 * self.done / max(1, self.total))
        self.out(f"[{bar:<20}] {self.done}/{self.total} {result.student_id}: {result.score:g}/{result.max_score:g} "
                 f"{result.status} ({result.seconds:.1f} s) elapsed {_clock(elapsed)} ETA {_clock(eta)}")


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


def grade_class(job: ClassJob) -> list[SubmissionResult]:
    """Grade every submission of the assignment (or `job.students`); write results, gradebook, feedback
    and grades.csv. Returns the class's current results (grades.csv's rows), in student order."""
    from . import gradebook
    from .grades_csv import write_csv

    students = submissions(job.course, job.assignment, job.students)
    results: dict[str, SubmissionResult] = {}
    todo = []
    for student in students:
        kept = cached(job, student)
        if kept is not None:
            results[student] = kept
        else:
            todo.append(student)
    backend = open_backend(job) if todo else None  # local workers warm up while the gradebook is set up
    everyone: list[SubmissionResult] = []
    stack = contextlib.ExitStack()
    try:
        limits = vars(job.limits)
        tasks = [GradeTask(str(job.source), str(job.submission(s)), s, job.assignment, limits, job.isolation)
                 for s in _longest_first(job, todo)]
        db_url = job.db_url or gradebook.default_db_url(job.course)
        gradebook.ensure_assignment(db_url, job.assignment, job.source)
        writer = Writer(job, db_url)
        stack.callback(writer.recorder.close)
        if results:
            writer.keep(results)
            job.progress(f"{len(results)} submission(s) unchanged since the last run: kept their grades")
        stream: Iterator[tuple[str, WorkerAnswer]] = iter(())
        if tasks and backend is not None:
            job.progress(f"grading {len(tasks)} submission(s) of {job.assignment} on {backend.where(len(tasks))}: "
                         f"{why_graded(job, todo)}")
            stream = backend.run(tasks)
        progress = Progress(len(tasks), job.progress)
        finished = False
        try:
            for student, data in stream:
                result = _as_result(job, student, data)
                writer.save(result, saved_result(job, student))
                results[student] = result
                progress(result)
            finished = True
        except KeyboardInterrupt:
            raise Interrupted(writer.saved, len(tasks)) from None
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
            everyone = _with_the_others(job, results)
            if finished and job.similarity and everyone:  # the whole class, once it is all graded
                from .similarity import apply

                apply(job, everyone)
            write_csv(job.layout.grades_csv, everyone)
    finally:
        stack.close()
        if backend is not None:
            backend.close()
    return everyone


def _as_result(job: ClassJob, student: str, data: WorkerAnswer) -> SubmissionResult:
    """A worker's answer as a result: its dict, or an error result for a worker that died or a bug."""
    try:
        if isinstance(data, dict):
            return SubmissionResult.from_json(data)
        return error_result(job.source, student, job.assignment, data)
    except (TypeError, KeyError) as error:
        return error_result(job.source, student, job.assignment, error)


def _with_the_others(job: ClassJob, results: dict[str, SubmissionResult]) -> list[SubmissionResult]:
    """This run's results and the last saved result of every other student of the class (graded
    only some with `--student`, interrupted, or a submission changed since): grades.csv and the
    report always cover everyone who has a result."""
    class_list = submissions(job.course, job.assignment)
    for student in class_list:
        if student not in results:
            kept = saved_result(job, student)
            if kept is not None:
                results[student] = kept
    return [results[s] for s in class_list if s in results]


def _longest_first(job: ClassJob, students: list[str]) -> list[str]:
    """The likely longest gradings first (the biggest notebooks: more code written, more tests get
    far), so that the last ones to finish are short and the workers end together."""
    def size(student: str) -> int:
        try:
            return sum(p.stat().st_size for p in job.submission(student).glob("*.ipynb"))
        except OSError:
            return 0

    return sorted(students, key=lambda s: -size(s))
