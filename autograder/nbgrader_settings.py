"""The nbgrader configuration of a course directory, written once.

`nbgrader_config.py` (what nbgrader's own commands read) applies it to the course's root, and the
build (`python -m autograder build`) applies the same settings to the folder it generates into, so
nbgrader's commands and ours never disagree about where notebooks live or what is released.
"""

from pathlib import Path
from typing import Any

from .paths import RELEASE_DIR, RESULT_FILE, SOURCE_DIR

COURSE_ID = "optim-dl"
# Never copied by nbgrader: the jupytext source beside each notebook holds the solutions (nbgrader
# would copy it into the release folder); our result.json (every test's details, for instructors)
# must not follow an autograded notebook into feedback/ (generate_feedback copies the other files);
# editors' and Python's leftovers.
IGNORE = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py", RESULT_FILE]


def configure(c: Any, root: Path) -> None:
    """Set the course's nbgrader settings on a traitlets config `c` (nbgrader_config.py's `c`)."""
    c.CourseDirectory.root = str(Path(root).resolve())  # absolute: nbgrader warns at every command otherwise
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.source_directory = SOURCE_DIR
    c.CourseDirectory.release_directory = RELEASE_DIR
    c.CourseDirectory.ignore = list(IGNORE)
    # Deleted test cells come back at grading time instead of silently vanishing.
    c.OverwriteCells.add_missing_cells = True
