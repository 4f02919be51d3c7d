"""What a class run is asked to do: which course, assignment, students, limits and workers."""

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from ..paths import THIS_REPO, Course
from ..sandbox.limits import Limits
from .feedback import DEFAULT_FEEDBACK


@dataclass
class ClassJob:
    course: Path
    assignment: str
    source: Path
    limits: Limits = field(default_factory=Limits)
    isolation: str = "auto"
    workers: Optional[int] = None  # None: one per core, or one per GPU
    scheduler: Optional[str] = None
    db_url: Optional[str] = None
    force: bool = False
    students: Optional[list[str]] = None
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)
    gpus: Optional[list[str]] = None  # CUDA devices to pin local workers to (None: all this machine has)
    similarity: bool = True  # compare the graded code with torch's and with each other (similarity.py)
    feedback: str = DEFAULT_FEEDBACK  # students' pages: "full" (every failed test by title), "counts" (feedback.py)

    @property
    def layout(self) -> Course:
        return Course(self.course)

    def submission(self, student: str) -> Path:
        return self.layout.submission(student, self.assignment)


def find_source(course: Path, assignment: str) -> Path:
    """The nbgrader source notebook: the course's own, else this repository's."""
    for root in (Course(course), THIS_REPO):
        path = root.source_notebook(assignment)
        if path.is_file():
            return path
    raise FileNotFoundError(f"no source notebook solutions/{assignment}/{assignment}.ipynb in {course} or "
                            f"{THIS_REPO.root}")


def submissions(course: Path, assignment: str, only: Optional[Iterable[str]] = None) -> list[str]:
    """Student ids with a `submitted/<student>/<assignment>` entry, sorted."""
    root = Course(course).submitted
    if not root.is_dir():
        return []
    wanted = None if only is None else set(only)
    found = sorted(p.name for p in root.iterdir() if (p / assignment).exists() and not p.name.startswith("."))
    return [s for s in found if wanted is None or s in wanted]
