"""Grade a whole class: every `submitted/<student>/<assignment>/`, in parallel, resumable.

Each submission is graded by `grading.grade_submission` in a worker: a local process (`workers`),
or a Dask worker (`scheduler="tcp://host:port"`, see `cluster.py`). Results arrive here one by one,
as they finish: each is saved as `autograded/<student>/<assignment>/result.json` (the resume point:
an unchanged submission is not graded again), stored in the nbgrader gradebook, turned into the
student's feedback page, and summarised in `grades.csv` at the end.

Local workers are forked from a fork server that has imported the grader (torch included) once,
so a pool of N workers costs one import, not N, and starts while this process sets up the
gradebook. With CUDA devices, each worker is pinned to one (CUDA_VISIBLE_DEVICES, round-robin)
and the default is one worker, hence one submission, per device.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional

WORKER_ENV = "AUTOGRADER_GRADING_WORKER"
if os.environ.get(WORKER_ENV) == "1" and "jsonschema" not in sys.modules:
    # In the workers' fork server only: nbformat imports jsonschema, which imports rfc3987_syntax
    # where it is installed, and that builds a grammar at import (~1 s of CPU) for IRI checks that
    # grading never makes. Without it jsonschema just skips that format.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]

from .sandbox import Limits  # noqa: E402  (after the guard above; sandbox.py imports only the standard library)

if TYPE_CHECKING:
    from .grading import SubmissionResult

CSV_COLUMNS = ["student_id", "assignment", "score", "max_score", "status", "flags", "tests_passed", "tests_total",
               "manual_max", "needs_manual_grade", "seconds", "notes"]


def cuda_devices() -> list[str]:
    """The CUDA devices this machine offers, without initialising CUDA: CUDA_VISIBLE_DEVICES if set,
    else one per /dev/nvidiaN. Empty without a GPU."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [d.strip() for d in visible.split(",") if d.strip() and d.strip() != "-1"]
    count = sum(1 for p in Path("/dev").glob("nvidia*") if re.fullmatch(r"nvidia\d+", p.name))
    return [str(i) for i in range(count)]


def cores() -> int:
    """The cores this process may run on (a container's or a batch job's share, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_workers() -> int:
    """One submission per GPU where there are GPUs, else one per core."""
    return len(cuda_devices()) or cores()


@dataclass
class ClassJob:
    course: Path
    assignment: str
    source: Path
    limits: Limits = field(default_factory=Limits)
    isolation: str = "auto"
    workers: Optional[int] = None  # None: default_workers()
    scheduler: Optional[str] = None
    db_url: Optional[str] = None
    force: bool = False
    students: Optional[list[str]] = None
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)
    gpus: Optional[list[str]] = None  # CUDA devices to pin local workers to (None: cuda_devices())


def find_source(course: Path, assignment: str) -> Path:
    """The nbgrader source notebook: the course's own, else this repository's."""
    from .build import REPO

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
    wanted = None if only is None else set(only)
    found = sorted(p.name for p in root.iterdir() if (p / assignment).exists() and not p.name.startswith("."))
    return [s for s in found if wanted is None or s in wanted]


def _result_path(course: Path, student: str, assignment: str) -> Path:
    return course / "autograded" / student / assignment / "result.json"


def current_fingerprint(source: Path, folder: Path) -> Optional[str]:
    """The fingerprint a grading of this submission gets (None: nothing to fingerprint)."""
    from .grading import fingerprint
    from .notebook import find_notebook

    if not folder.is_dir():
        return None
    path, _ = find_notebook(folder, source.name)
    if path is None:
        return None
    try:
        return fingerprint(source.read_bytes(), path.read_bytes())
    except OSError:
        return None


def _cached(job: ClassJob, student: str, honour_force: bool = True) -> Optional[SubmissionResult]:
    """The saved result of an unchanged submission (None: grade it)."""
    from .grading import SubmissionResult

    path = _result_path(job.course, student, job.assignment)
    if (job.force and honour_force) or not path.is_file():
        return None
    try:
        result = SubmissionResult.from_json(json.loads(path.read_text()))
    except (ValueError, TypeError, KeyError):
        return None
    current = current_fingerprint(job.source, job.course / "submitted" / student / job.assignment)
    return result if current and result.fingerprint == current else None


def grade_one(source: str, folder: str, student: str, assignment: str, limits: dict, isolation: str) -> dict:
    """A worker's task (plain arguments and result, so it can travel to a Dask worker)."""
    from .grading import grade_submission

    folder_path = Path(folder)
    if not folder_path.is_dir():
        result = empty_result(Path(source), student, assignment, "submission is not a folder")
    else:
        try:
            result = grade_submission(Path(source), folder_path, student, assignment, Limits(**limits), isolation)
        except Exception as error:  # never lose the class to one submission: report it
            result = _error_result(Path(source), student, assignment, error)
    return result.to_json()


def empty_result(source: Path, student: str, assignment: str, status: str) -> SubmissionResult:
    """A result with no test run (0 points) that still knows the assignment's maximum."""
    from .grading import SubmissionResult
    from .notebook import build_program, load_source

    result = SubmissionResult(student, assignment, status=status)
    try:
        program = build_program(load_source(source), {"cells": []})
        result.max_score = sum(c.points for c in program.tests())
        result.manual_max = sum(c.points for c in program.cells if c.kind == "manual")
    except Exception:
        pass
    return result


def _error_result(source: Path, student: str, assignment: str, error: BaseException) -> SubmissionResult:
    return empty_result(source, student, assignment, f"grader error: {type(error).__name__}: {error}")


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
    from . import feedback, gradebook

    students = submissions(job.course, job.assignment, job.students)
    workers = job.workers or default_workers()
    pool = None
    if students and not job.scheduler:
        pool = LocalPool(workers, cuda_devices() if job.gpus is None else job.gpus)  # warms up meanwhile
    try:
        from .grading import SubmissionResult, result_json

        results: dict[str, SubmissionResult] = {}
        todo = []
        for student in students:
            cached = _cached(job, student)
            if cached is not None:
                results[student] = cached
            else:
                todo.append(student)
        limits = vars(job.limits)
        args = [(str(job.source), str(job.course / "submitted" / s / job.assignment), s, job.assignment, limits,
                 job.isolation) for s in _longest_first(job, todo)]
        # the gradebook is set up while the fork server imports the grader (on another core)
        db_url = job.db_url or gradebook.default_db_url(job.course)
        gradebook.ensure_assignment(db_url, job.assignment, job.source)
        if results:
            _keep_cached(job, db_url, results)
            job.progress(f"{len(results)} submission(s) unchanged since the last run: kept their grades")
        if todo:
            where = f"the Dask cluster at {job.scheduler}" if job.scheduler else \
                f"{min(workers, len(todo))} local worker(s)"
            job.progress(f"grading {len(todo)} submission(s) of {job.assignment} on {where}")
        if job.scheduler:
            from .cluster import run_on_dask

            stream = run_on_dask(job.scheduler, grade_one, args, progress=job.progress)
        else:
            stream = pool.run(args) if pool is not None and args else iter(())
        progress = Progress(len(todo), job.progress)
        try:
            for student, data in stream:
                try:
                    result = SubmissionResult.from_json(data) if isinstance(data, dict) else \
                        _error_result(job.source, student, job.assignment, data)
                except (TypeError, KeyError) as error:
                    result = _error_result(job.source, student, job.assignment, error)
                results[student] = result
                path = _result_path(job.course, student, job.assignment)
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_text(result_json(result))
                os.replace(tmp, path)  # a run interrupted here leaves the old result or the new, never half
                gradebook.record(db_url, result, job.source.stem)
                feedback.write_feedback(job.course, result)
                progress(result)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
            everyone = _with_the_others(job, results)
            write_csv(job.course / "grades.csv", everyone)
    finally:
        if pool is not None:
            pool.shutdown()
    return everyone


def _with_the_others(job: ClassJob, results: dict[str, SubmissionResult]) -> list[SubmissionResult]:
    """This run's results and, when it graded only some students (`--student`), the current results
    of the others: grades.csv and the report always cover the class as it stands."""
    class_list = submissions(job.course, job.assignment)
    if job.students is not None:
        for student in class_list:
            if student not in results:
                kept = _cached(job, student, honour_force=False)
                if kept is not None:
                    results[student] = kept
    return [results[s] for s in class_list if s in results]


def _longest_first(job: ClassJob, students: list[str]) -> list[str]:
    """The likely longest gradings first (the biggest notebooks: more code written, more tests get
    far), so that the last ones to finish are short and the workers end together."""
    def size(student: str) -> int:
        folder = job.course / "submitted" / student / job.assignment
        try:
            return sum(p.stat().st_size for p in folder.glob("*.ipynb"))
        except OSError:
            return 0

    return sorted(students, key=lambda s: -size(s))


def _keep_cached(job: ClassJob, db_url: str, cached: dict[str, SubmissionResult]) -> None:
    """Unchanged submissions keep their result; make sure this gradebook (it may be a new one) and
    the feedback folder have it too."""
    from . import feedback, gradebook

    known = gradebook.read_scores(db_url, job.assignment)
    for student, result in cached.items():
        if known.get(student) != result.score:
            gradebook.record(db_url, result, job.source.stem)
        if not feedback.feedback_path(job.course, result).is_file():
            feedback.write_feedback(job.course, result)


# -- local workers ---------------------------------------------------------------------------------

# What every worker needs, imported once by the fork server (see _warm_up at the end of this file).
# torch._dynamo: torch imports it lazily at the first optimizer a test builds (~1.5 s of CPU, sympy
# included), in every worker otherwise.
_PRELOAD = ["autograder.grading", "torch._dynamo"] + sorted(
    f"autograder.checks.{p.stem}" for p in (Path(__file__).parent / "checks").glob("*.py") if p.stem != "__init__")


def _warm_up() -> None:
    """In the fork server: import what the workers need. A module that fails to import is left to
    fail in the workers, where it costs each submission a "grader error" status, not the whole run."""
    import importlib

    for name in _PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:
            pass


def _start_worker(counter: Any, devices: list[str], threads: int) -> None:
    """Pool initializer: torch threads for this worker's share of the cores (the tests' tensors are
    small: more threads than cores only spin), and one CUDA device for this worker and the sandboxes
    it starts, round-robin."""
    import torch

    torch.set_num_threads(threads)
    if devices:
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        os.environ["CUDA_VISIBLE_DEVICES"] = devices[index % len(devices)]


class LocalPool:
    """`workers` processes forked from a fork server that has imported the grader once."""

    def __init__(self, workers: int, devices: list[str]) -> None:
        import multiprocessing
        from multiprocessing import forkserver

        self.workers = max(1, workers)
        # a fork server: no fork of this process (it may hold threads), no fresh import per worker
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["autograder.classroom"])  # which, there, runs _warm_up()
        before = os.environ.get(WORKER_ENV)
        os.environ[WORKER_ENV] = "1"  # seen by the fork server (and its workers) only
        try:
            forkserver.ensure_running()  # starts importing now, while the caller does other work
        finally:
            if before is None:
                del os.environ[WORKER_ENV]
            else:
                os.environ[WORKER_ENV] = before
        counter = context.Value("i", 0)
        threads = max(1, cores() // self.workers)
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=_start_worker,
                                        initargs=(counter, list(devices), threads))

    def run(self, args: list[tuple]) -> Any:
        """Submit every task now; yield (student, result dict or exception) as they finish."""
        pending: dict[Future, tuple] = {self.pool.submit(grade_one, *a): a for a in args}
        return self._results(pending)

    @staticmethod
    def _results(pending: dict[Future, tuple]) -> Any:
        try:
            while pending:
                ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(ready, key=lambda f: pending[f][2]):
                    a = pending.pop(future)
                    try:
                        data: Any = future.result()
                    except Exception as error:  # a worker that died takes only its own submission
                        data = error
                    yield a[2], data
        finally:
            for future in pending:
                future.cancel()

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def stop_fork_server() -> None:
    """End the workers' fork server now (a LocalPool started later starts a new one). Left alone it
    ends after this process, taking about a second to tear torch down, and until then it holds this
    process's stdout and stderr open (so a pipe reading them waits for it). Its workers are gone."""
    import signal
    from multiprocessing import forkserver

    server = forkserver._forkserver  # CPython's single fork server; private, hence the care below
    pid = getattr(server, "_forkserver_pid", None)
    if pid is None:
        return
    try:
        with server._lock:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(server._forkserver_alive_fd)
            address = server._forkserver_address
            server._forkserver_pid = server._forkserver_alive_fd = server._forkserver_address = None
        if isinstance(address, str) and os.path.exists(address):
            os.unlink(address)
    except (AttributeError, OSError):
        pass


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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # graders sharing a course never share a tmp
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


if os.environ.get(WORKER_ENV) == "1" and "autograder.grading" not in sys.modules:
    _warm_up()  # this module is being preloaded by the workers' fork server
