"""Helpers for the class-grading tests (parallel, Dask, PostgreSQL, report): a small Adam class.

The class: the solution's answers in the student notebook (full marks), MyAdam only (partial),
the blank student version (0), an invalid notebook, an entry that is a file, not a folder, and a
notebook that is a symbolic link to the solutions (refused, by local workers and Dask workers alike).
"""

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO

from autograder.authoring.variants import answered_notebook, solution_answers
from autograder.paths import THIS_REPO, Course, notebook_name

ASSIGNMENT = "adam"
CLASS = {"ann-full": "full", "bob-partial": "partial", "cat-blank": "blank", "dan-broken": "broken",
         "eve-file": "file", "fay-link": "link"}
LINK_STATUS = f"{ASSIGNMENT}.ipynb is a symbolic link (not graded)"
TIMING_COLUMNS = {"seconds"}
RUN_DEPENDENT = {"seconds", "timings", "peak_memory_mb"}  # result.json fields that vary from run to run


def adam_submission(kind: str) -> bytes:
    """A submitted notebook: the student version with all (full), MyAdam's (partial) or no answers."""
    if kind == "broken":
        return b'{"cells": [ this is not json'
    source = json.loads(THIS_REPO.source_notebook(ASSIGNMENT).read_text())
    nb = json.loads(THIS_REPO.release_notebook(ASSIGNMENT).read_text())
    answers = solution_answers(source, ("code", "markdown"))
    keep = {"full": set(answers), "partial": {"adam-impl"}, "blank": set()}[kind]
    nb = answered_notebook(nb, {k: v for k, v in answers.items() if k in keep})
    return json.dumps(nb, indent=1).encode()


def make_course(root: Path, students: dict[str, str] = CLASS) -> Path:
    """A course folder with its own copy of the source notebook (`solutions/adam/adam.ipynb`: the
    grader prefers it to the repository's, which may be regenerated meanwhile) and
    `submitted/<student>/adam/adam.ipynb` for each (student, kind)."""
    course = Course(root)
    source = course.source_notebook(ASSIGNMENT)
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(THIS_REPO.source_notebook(ASSIGNMENT).read_bytes())
    for student, kind in students.items():
        entry = course.submission(student, ASSIGNMENT)
        entry.parent.mkdir(parents=True, exist_ok=True)
        if kind == "file":
            entry.write_text("a file where a folder should be")
            continue
        entry.mkdir()
        if kind == "link":  # the solutions, passed off as one's own
            (entry / notebook_name(ASSIGNMENT)).symlink_to(source.resolve())
            continue
        (entry / notebook_name(ASSIGNMENT)).write_bytes(adam_submission(kind))
    return root


def grade(course: Path, *extra: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    """`python -m autograder grade adam --course COURSE ...extra` (the class shares its solution's code:
    similarity is tested on its own)"""
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course", str(course),
                          "--no-similarity", *extra],
                         capture_output=True, text=True, timeout=timeout, cwd=REPO)
    if check:
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    return run


def csv_rows(course: Path) -> dict[str, dict]:
    with open(Course(course).grades_csv, newline="") as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}


def without_timing(rows: dict[str, dict]) -> dict[str, dict]:
    return {s: {k: v for k, v in r.items() if k not in TIMING_COLUMNS} for s, r in rows.items()}


def results(course: Path) -> dict[str, dict]:
    """Every result.json, without what varies from run to run (timing, memory)."""
    out = {}
    for path in sorted(course.glob(f"autograded/*/{ASSIGNMENT}/result.json")):
        data = json.loads(path.read_text())
        out[data["student_id"]] = {k: v for k, v in data.items() if k not in RUN_DEPENDENT}
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory) -> Path:
    """The class graded once with `--workers 2` (shared by the parallel and Dask tests)."""
    course = make_course(tmp_path_factory.mktemp("class-2-workers"))
    run = grade(course, "--workers", "2")
    (course / "grade.log").write_text(run.stderr)
    return course


def copy_submissions(src: Path, dst: Path) -> Path:
    """A fresh course with the same source notebook and submissions (nothing graded yet)."""
    for folder in ("solutions", "submitted"):
        shutil.copytree(src / folder, dst / folder, symlinks=True)
    return dst


def kill_group(proc: subprocess.Popen, grace: float = 10) -> None:
    """End a process started with start_new_session=True, and its children (its own process group)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, 15)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=grace)


def report_env_value(name: str) -> str:
    """A module-level function for worker processes: an environment variable as they see it."""
    time.sleep(0.5)  # long enough that every worker of a small pool takes a task
    return os.environ.get(name, "")
