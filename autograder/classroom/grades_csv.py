"""`grades.csv`: one row per student of the assignment, rewritten atomically."""

import csv
import os
from pathlib import Path

from ..results import SubmissionResult

CSV_COLUMNS = ["student_id", "assignment", "score", "max_score", "status", "flags", "tests_passed", "tests_total",
               "manual_max", "needs_manual_grade", "seconds", "notes"]


def write_csv(path: Path, results: list[SubmissionResult]) -> None:
    rows = []
    for r in results:
        rows.append({
            "student_id": r.student_id, "assignment": r.assignment, "score": f"{r.score:g}",
            "max_score": f"{r.max_score:g}", "status": r.status, "flags": " ".join(r.flags),
            "tests_passed": r.tests_passed, "tests_total": len(r.tests),
            "manual_max": f"{r.manual_max:g}", "needs_manual_grade": r.needs_manual_grade,
            "seconds": f"{r.seconds:.2f}", "notes": "; ".join(r.notes),
        })
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # graders sharing a course never share a tmp
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
