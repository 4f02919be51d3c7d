"""Where everything lives: this repository, and the layout of an nbgrader course directory.

    solutions/<a>/<a>.py            the one source of an assignment (jupytext; this repository only)
    solutions/<a>/<a>.ipynb         nbgrader's source notebook: solutions and hidden tests
    assignments/<a>/<a>.ipynb       the student version (nbgrader's release folder)
    submitted/<student>/<a>/        what a student handed in (nbgrader collect / zip_collect)
    autograded/<student>/<a>/       <a>.ipynb: the trusted cells, the student's answers, the tests'
                                    results (what formgrader and nbgrader's feedback read);
                                    result.json: every test's result, the resume point
    feedback/<student>/<a>/         <a>.html, the page the student gets back (the name nbgrader's
                                    release_feedback hands back)
    reports/<a>/report.html         the class report (instructors only)
    grades.csv, gradebook.db        every assignment's grades; nbgrader's gradebook (SQLite by default)

Importing this module costs nothing (no third-party imports).
"""

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE_DIR = "solutions"  # nbgrader's CourseDirectory.source_directory
RELEASE_DIR = "assignments"  # nbgrader's CourseDirectory.release_directory
RESULT_FILE = "result.json"
# What nbgrader's exchange writes beside a submission and expects beside its feedback
# (`nbgrader collect` copies them from the student; `release_feedback` reads both).
SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")


def notebook_name(assignment: str) -> str:
    """Every assignment has one notebook, named after it."""
    return f"{assignment}.ipynb"


@dataclass(frozen=True)
class Course:
    """An nbgrader course directory (this repository is one; an instructor's term is another)."""

    root: Path

    def assignments(self) -> list[str]:
        """The assignments with an nbgrader source notebook here (`solutions/<a>/<a>.ipynb`), sorted."""
        folder = self.root / SOURCE_DIR
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if (p / notebook_name(p.name)).is_file())

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
        return self.autograded(student, assignment) / RESULT_FILE

    def autograded_notebook(self, student: str, assignment: str) -> Path:
        return self.autograded(student, assignment) / notebook_name(assignment)

    def feedback_folder(self, student: str, assignment: str) -> Path:
        return self.root / "feedback" / student / assignment

    def feedback(self, student: str, assignment: str) -> Path:
        """The student's page: named as nbgrader's generate_feedback names it, so that nbgrader's
        release_feedback hands it back (it releases `<notebook>.html` files)."""
        return self.feedback_folder(student, assignment) / f"{assignment}.html"

    def report(self, assignment: str) -> Path:
        return self.root / "reports" / assignment / "report.html"

    @property
    def grades_csv(self) -> Path:
        return self.root / "grades.csv"

    @property
    def gradebook_db(self) -> Path:
        return self.root / "gradebook.db"


THIS_REPO = Course(REPO)
