"""Where everything lives: this repository, and the layout of an nbgrader course directory.

    solutions/<a>/<a>.py            the one source of an assignment (jupytext; this repository only)
    solutions/<a>/<a>.ipynb         nbgrader's source notebook: solutions and hidden tests
    assignments/<a>/<a>.ipynb       the student version (nbgrader's release folder)
    submitted/<student>/<a>/        what a student handed in (nbgrader collect / zip_collect)
    autograded/<student>/<a>/       result.json: every test's result, the resume point
    feedback/<student>/<a>/         feedback.html, the page the student gets back
    reports/<a>/report.html         the class report (instructors only)
    grades.csv, gradebook.db        the class's grades; nbgrader's gradebook (SQLite by default)

Importing this module costs nothing (no third-party imports).
"""

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE_DIR = "solutions"  # nbgrader's CourseDirectory.source_directory
RELEASE_DIR = "assignments"  # nbgrader's CourseDirectory.release_directory


def notebook_name(assignment: str) -> str:
    """Every assignment has one notebook, named after it."""
    return f"{assignment}.ipynb"


@dataclass(frozen=True)
class Course:
    """An nbgrader course directory (this repository is one; an instructor's term is another)."""

    root: Path

    def source_script(self, assignment: str) -> Path:
        return self.root / SOURCE_DIR / assignment / f"{assignment}.py"

    def source_notebook(self, assignment: str) -> Path:
        return self.root / SOURCE_DIR / assignment / notebook_name(assignment)

    def release_notebook(self, assignment: str) -> Path:
        return self.root / RELEASE_DIR / assignment / notebook_name(assignment)

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    def submission(self, student: str, assignment: str) -> Path:
        return self.submitted / student / assignment

    def autograded(self, student: str, assignment: str) -> Path:
        return self.root / "autograded" / student / assignment

    def result(self, student: str, assignment: str) -> Path:
        return self.autograded(student, assignment) / "result.json"

    def feedback(self, student: str, assignment: str) -> Path:
        return self.root / "feedback" / student / assignment / "feedback.html"

    def report(self, assignment: str) -> Path:
        return self.root / "reports" / assignment / "report.html"

    @property
    def grades_csv(self) -> Path:
        return self.root / "grades.csv"

    @property
    def gradebook_db(self) -> Path:
        return self.root / "gradebook.db"


THIS_REPO = Course(REPO)
