"""`grades.csv`: one row per student and assignment, for every assignment graded in the course.

Grading an assignment replaces that assignment's rows with every student who has a result and
keeps the other assignments' rows. The file is rewritten atomically under a lock, so two grade
commands (two assignments, or `--student` subsets) never lose each other's rows, and an
interrupted run leaves the previous file or the new one, never half of one. Student-controlled text
is capped (results.capped); result.json keeps all of it.
"""

import contextlib
import csv
import fcntl
import os
import sys
from pathlib import Path
from typing import Iterator

from ..results import SubmissionResult, capped

CSV_COLUMNS = ["student_id", "assignment", "score", "max_score", "status", "flags", "tests_passed", "tests_total",
               "manual_max", "needs_manual_grade", "seconds", "notes"]


def csv_row(r: SubmissionResult) -> dict:
    return {
        "student_id": r.student_id, "assignment": r.assignment, "score": f"{r.score:g}",
        "max_score": f"{r.max_score:g}", "status": capped(r.status), "flags": capped(" ".join(r.flags)),
        "tests_passed": r.tests_passed, "tests_total": len(r.tests),
        "manual_max": f"{r.manual_max:g}", "needs_manual_grade": r.needs_manual_grade,
        "seconds": f"{r.seconds:.2f}", "notes": capped("; ".join(r.notes)),
    }


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside `path` (released when the process ends, whatever happens)."""
    lock = path.with_name(f".{path.name}.lock")
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_rows(path: Path) -> list[dict]:
    """The rows the file holds now ([] when there is none)."""
    try:
        with open(path, newline="") as f:
            csv.field_size_limit(sys.maxsize)  # a file written before fields were capped must still read
            return list(csv.DictReader(f))
    except FileNotFoundError:
        return []


def write_csv(path: Path, results: list[SubmissionResult]) -> None:
    """Replace the rows of the assignments in `results` with theirs; keep every other assignment's."""
    if not results:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    assignments = {r.assignment for r in results}
    with _locked(path):
        rows = [row for row in read_rows(path) if row.get("assignment") not in assignments]
        rows += [csv_row(r) for r in results]
        rows.sort(key=lambda row: (row.get("assignment") or "", row.get("student_id") or ""))
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # graders sharing a course never share a tmp
        with open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS, extrasaction="ignore", restval="")
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, path)
