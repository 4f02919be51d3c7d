"""Write grades into nbgrader's own gradebook (SQLite by default, PostgreSQL through `db_url`).

Formgrader, `nbgrader export` and manual grading then see our grades like nbgrader's: one Grade
per test cell (auto_score), the hand-graded answers left for the instructor.
"""

import os
import sys
from pathlib import Path
from typing import Any

from .grading import SubmissionResult
from .notebook import load_source, source_cells

BLANK_ANSWERS = ("", "YOUR ANSWER HERE")


def open_gradebook(db_url: str) -> Any:
    """nbgrader's Gradebook; it runs `alembic` from PATH when it creates a database, so put ours there."""
    from nbgrader.api import Gradebook

    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    return Gradebook(db_url)


def default_db_url(course: Path) -> str:
    return f"sqlite:///{(course / 'gradebook.db').resolve()}"


def ensure_assignment(db_url: str, assignment: str, source_path: Path) -> None:
    """Create the assignment, its notebook and its cells in the gradebook (idempotent)."""
    notebook = source_path.stem
    with open_gradebook(db_url) as gb:
        gb.update_or_create_assignment(assignment)
        try:
            gb.find_notebook(notebook, assignment)
        except Exception:
            gb.add_notebook(notebook, assignment)
        for grade_id, meta, source in source_cells(load_source(source_path)):
            cell_type = meta.get("cell_type", "code")
            if meta.get("grade"):
                gb.update_or_create_grade_cell(grade_id, notebook, assignment, max_score=float(meta.get("points", 0)),
                                               cell_type=cell_type)
            if meta.get("solution"):
                gb.update_or_create_solution_cell(grade_id, notebook, assignment)
            if meta.get("locked") or meta.get("solution") or meta.get("grade"):
                gb.update_or_create_source_cell(grade_id, notebook, assignment, source=source, cell_type=cell_type,
                                                locked=bool(meta.get("locked")))


def record(db_url: str, result: SubmissionResult, notebook: str) -> None:
    """Store one student's result: auto scores for the tests, hand-graded answers flagged for grading."""
    import warnings

    from nbgrader.api import MissingEntry

    with open_gradebook(db_url) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbgrader's add_submission trips SQLAlchemy autoflush warnings
        gb.update_or_create_student(result.student_id)
        try:
            gb.find_submission(result.assignment, result.student_id)
        except MissingEntry:
            gb.add_submission(result.assignment, result.student_id)
        for test in result.tests:
            grade = gb.find_grade(test.grade_id, notebook, result.assignment, result.student_id)
            grade.auto_score = test.points
            grade.needs_manual_grade = False
        for grade_id, answer in result.manual_answers.items():
            grade = gb.find_grade(grade_id, notebook, result.assignment, result.student_id)
            blank = answer.strip() in BLANK_ANSWERS
            grade.auto_score = 0.0 if blank else None
            grade.needs_manual_grade = not blank
        if not result.manual_answers and result.status != "ok" and not result.tests:
            # an ungradable file: every test cell scores 0, visibly, instead of staying empty
            for grade in gb.find_submission_notebook(notebook, result.assignment, result.student_id).grades:
                grade.auto_score, grade.needs_manual_grade = 0.0, False
        gb.db.commit()


def read_scores(db_url: str, assignment: str) -> dict[str, float]:
    """Total score per student as the gradebook has it (what `nbgrader export` would report)."""
    with open_gradebook(db_url) as gb:
        return {s.student.id: s.score for s in gb.find_assignment(assignment).submissions}
