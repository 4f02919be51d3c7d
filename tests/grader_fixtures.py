"""Helpers for tests of the grader: build a course folder with submissions, grade it, read the results.

    from grader_fixtures import notebook_with, submit, grade_course, grades

    course = tmp_path / "course"
    submit(course, "alice", notebook_with(append={"adam-impl": "print('hi')"}))
    submit(course, "bob", b"not json")
    run = grade_course(course)                 # python -m autograder grade adam --workers 2 (small limits)
    rows = grades(course)                      # grades.csv as {student: row}
    result(course, "alice")["output"]          # autograded/alice/adam/result.json

Notebooks are plain dicts (nbformat 4 JSON). `notebook_with` starts from the *student* notebook
(assignments/), fills every answer cell with the solution's code, then applies the changes asked
for; so a test changes exactly what it is about. Nothing here writes outside the folders it is given.
"""

import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional, Union

from autograder import cells
from autograder.authoring import variants
from autograder.paths import THIS_REPO, Course, notebook_name

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# Small limits for tests: a hung cell or probe costs seconds of CPU time, not minutes. The classes here
# are variations of one solution, alike by construction: their similarity is tested on its own.
FAST_LIMITS = ["--cell-timeout", "8", "--timeout", "120", "--no-similarity"]


def source_path(assignment: str = "adam") -> Path:
    return THIS_REPO.source_notebook(assignment)


def solution_notebook(assignment: str = "adam") -> dict:
    """The instructor's source notebook (solutions and hidden tests)."""
    return json.loads(source_path(assignment).read_text())


def student_notebook(assignment: str = "adam") -> dict:
    """The notebook students get (no solutions, no hidden tests)."""
    return json.loads(THIS_REPO.release_notebook(assignment).read_text())


def grade_id(cell: dict) -> Optional[str]:
    return cells.grade_id(cell)


def cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def solution_answers(assignment: str = "adam") -> dict[str, str]:
    """{grade_id: the solution's code} for every code answer cell."""
    return variants.solution_answers(solution_notebook(assignment))


def notebook_with(assignment: str = "adam", answers: Optional[dict[str, str]] = None,
                  append: Optional[dict[str, str]] = None, blank: bool = False) -> dict:
    """The student notebook with the solution's answers (none if `blank`), then `answers` replacing
    whole cells and `append` adding code at the end of cells, both by grade_id."""
    filled = {} if blank else solution_answers(assignment)
    filled.update(answers or {})
    nb = variants.answered_notebook(student_notebook(assignment), filled)
    for cell in nb["cells"]:
        if append and grade_id(cell) in append:
            cell["source"] = cell_source(cell).rstrip("\n") + "\n\n" + append[grade_id(cell)]
    return nb


def variant_answers(name: str, assignment: str = "adam") -> dict[str, str]:
    """The answers of tests/submissions/<assignment>/<name>.py (see the README there)."""
    from autograder.authoring.variants import parse_variant

    return parse_variant(REPO / "tests" / "submissions" / assignment / f"{name}.py").answers


def submit(course: Path, student: str, content: Union[dict, str, bytes], assignment: str = "adam",
           filename: Optional[str] = None) -> Path:
    """Write `course/submitted/<student>/<assignment>/<filename>` (a dict is written as JSON)."""
    folder = Course(course).submission(student, assignment)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (filename or notebook_name(assignment))
    if isinstance(content, dict):
        content = json.dumps(content, indent=1)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def grade_command(course: Path, assignment: str = "adam", *extra: str, workers: int = 2) -> list[str]:
    return [PYTHON, "-m", "autograder", "grade", assignment, "--course", str(course), "--workers", str(workers),
            "--no-report", *FAST_LIMITS, *extra]


def grade_course(course: Path, assignment: str = "adam", *extra: str, workers: int = 2,
                 timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `python -m autograder grade` on the course (2 workers, small limits); fails on a non-zero exit."""
    run = subprocess.run(grade_command(course, assignment, *extra, workers=workers), cwd=REPO, capture_output=True,
                         text=True, timeout=timeout)
    assert run.returncode == 0, f"grade exited {run.returncode}:\n{run.stderr[-4000:]}"
    return run


def grades(course: Path) -> dict[str, dict]:
    """grades.csv as {student_id: row}."""
    with open(Course(course).grades_csv, newline="") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


def result(course: Path, student: str, assignment: str = "adam") -> dict:
    """The grader's full record of one submission (autograded/<student>/<assignment>/result.json)."""
    return json.loads(Course(course).result(student, assignment).read_text())


def failed_tests(course: Path, student: str, assignment: str = "adam") -> list[str]:
    return sorted(t["grade_id"] for t in result(course, student, assignment)["tests"] if not t["passed"])


def file_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under `root` (symbolic links by their target text), by relative path."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out
