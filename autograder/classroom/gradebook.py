"""Write grades into nbgrader's own gradebook (SQLite by default, PostgreSQL through `db_url`).

Formgrader, `nbgrader export` and manual grading then see our grades like nbgrader's: one Grade
per test cell (auto_score), the hand-graded answers left for the instructor.

Several graders at once (e.g. `--student` subsets on different machines) should share a
PostgreSQL gradebook: setting the assignment up happens under a PostgreSQL advisory lock, and every
write is retried when another grader's write got in the way (a unique-key race, a locked SQLite
file). Each student's grades are written in one transaction.
"""

import contextlib
import os
import re
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, TypeVar

from ..paths import Course
from ..results import SubmissionResult, is_blank_answer
from ..submission.program import source_cells
from ..submission.read import load_source

ATTEMPTS = 8
T = TypeVar("T")


def _alembic_head() -> str:
    """nbgrader's newest schema revision, read from its migration scripts.

    nbgrader asks for it by running `alembic heads` in a subprocess each time it creates a database
    (~2.5 s of CPU and `alembic` on PATH); the scripts name it plainly: the revision that is nobody's
    down_revision."""
    import nbgrader

    revisions, parents = set(), set()
    for script in (Path(nbgrader.__file__).parent / "alembic" / "versions").glob("*.py"):
        text = script.read_text()
        rev = re.search(r"^revision\s*=\s*['\"](\w+)['\"]", text, re.M)
        down = re.search(r"^down_revision\s*=\s*['\"](\w+)['\"]", text, re.M)
        if rev:
            revisions.add(rev.group(1))
        if down:
            parents.add(down.group(1))
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"cannot tell nbgrader's alembic head from its scripts: {sorted(heads)}")
    return heads.pop()


def _patch_nbgrader() -> None:
    import nbgrader.api

    if getattr(nbgrader.api.get_alembic_version, "_autograder", False):
        return
    original = nbgrader.api.get_alembic_version

    def get_alembic_version() -> str:
        try:
            return _alembic_head()
        except Exception:
            return original()

    get_alembic_version._autograder = True  # type: ignore[attr-defined]
    nbgrader.api.get_alembic_version = get_alembic_version
    bin_dir = os.path.dirname(sys.executable)  # the fallback runs `alembic` from PATH: put ours there
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def normalise_db_url(db_url: str) -> str:
    """`postgresql://...` with the PostgreSQL driver that is installed: SQLAlchemy 2.1 reads a bare
    `postgresql://` as psycopg 3; the pinned requirements have psycopg2."""
    import importlib.util

    scheme, sep, rest = db_url.partition("://")
    if sep and scheme in ("postgresql", "postgres") and importlib.util.find_spec("psycopg") is None \
            and importlib.util.find_spec("psycopg2") is not None:
        return f"postgresql+psycopg2://{rest}"
    return db_url


def open_gradebook(db_url: str) -> Any:
    """nbgrader's Gradebook on `db_url` (created with nbgrader's schema if new)."""
    from nbgrader.api import Gradebook

    _patch_nbgrader()
    return Gradebook(normalise_db_url(db_url))


def default_db_url(course: Path) -> str:
    return f"sqlite:///{Course(course).gradebook_db.resolve()}"


def _retrying(what: str, action: Callable[[], T]) -> T:
    """Run `action` again when a concurrent grader's write collided with it (bounded, with backoff)."""
    from nbgrader.api import InvalidEntry
    from sqlalchemy.exc import DBAPIError, InvalidRequestError

    for attempt in range(ATTEMPTS):
        try:
            return action()
        except (InvalidEntry, DBAPIError, InvalidRequestError) as error:
            if attempt == ATTEMPTS - 1:
                raise RuntimeError(f"gradebook: {what} failed {ATTEMPTS} times: {error}") from error
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


@contextlib.contextmanager
def _exclusive(db_url: str) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock (one grader sets an assignment up at a time); elsewhere a no-op."""
    if not db_url.startswith("postgres"):
        yield
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(normalise_db_url(db_url))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(726373)"))
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(726373)"))
    finally:
        engine.dispose()


def ensure_assignment(db_url: str, assignment: str, source_path: Path) -> None:
    """Create the assignment, its notebook and its cells in the gradebook (idempotent)."""
    notebook = source_path.stem
    cells = source_cells(load_source(source_path))

    def setup() -> None:
        with open_gradebook(db_url) as gb:
            gb.update_or_create_assignment(assignment)
            try:
                gb.find_notebook(notebook, assignment)
            except Exception:
                gb.add_notebook(notebook, assignment)
            for grade_id, meta, source in cells:
                cell_type = meta.get("cell_type", "code")
                if meta.get("grade"):
                    gb.update_or_create_grade_cell(grade_id, notebook, assignment,
                                                   max_score=float(meta.get("points", 0)), cell_type=cell_type)
                if meta.get("solution"):
                    gb.update_or_create_solution_cell(grade_id, notebook, assignment)
                if meta.get("locked") or meta.get("solution") or meta.get("grade"):
                    gb.update_or_create_source_cell(grade_id, notebook, assignment, source=source,
                                                    cell_type=cell_type, locked=bool(meta.get("locked")))

    with _exclusive(db_url), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _retrying(f"setting up {assignment}", setup)


def course_config(course: Path) -> Any:
    """The course's nbgrader configuration (its nbgrader_config.py, as nbgrader's commands read it)."""
    from traitlets.config import Config
    from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader

    try:
        return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    except ConfigFileNotFound:
        return Config()


def late_penalties(course: Path) -> Any:
    """nbgrader's own late-penalty step, configured as the course configures it
    (`LateSubmissionPlugin.penalty_method`, `AssignLatePenalties.plugin_class`): the penalties in the
    gradebook, and so in `nbgrader export`, are the ones nbgrader's autograde would give."""
    from nbgrader.preprocessors import AssignLatePenalties

    step = AssignLatePenalties(config=course_config(course))
    step.init_plugin()
    return step


def _assign_late_penalty(gb: Any, late: Any, result: SubmissionResult, notebook: str) -> None:
    """What nbgrader's AssignLatePenalties does after autograde, on the scores as they now stand."""
    submission = gb.find_submission(result.assignment, result.student_id)
    nb = gb.find_submission_notebook(notebook, result.assignment, result.student_id)
    gb.db.refresh(nb)  # its score is computed by the database from the grades just written
    nb.late_submission_penalty = None
    if submission.total_seconds_late > 0:
        penalty = late.plugin_inst.late_submission_penalty(result.student_id, nb.score,
                                                           submission.total_seconds_late)
        if penalty is not None:
            nb.late_submission_penalty = late._check_late_penalty(nb, penalty)


class Recorder:
    """One gradebook kept open for a run's writes: opening nbgrader's Gradebook costs ~80 ms (an engine, a
    session, its schema checked), once per student otherwise."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self._gb: Any = None

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._gb is not None:
            self._gb.close()
            self._gb = None

    def record(self, result: SubmissionResult, notebook: str, timestamp: Optional[datetime] = None,
               previous_answers: Optional[dict[str, str]] = None, late: Any = None) -> None:
        """Store one student's result: auto scores for the tests, hand-graded answers flagged for grading,
        the submission's time (nbgrader's `timestamp.txt`) and the late penalty nbgrader would give.

        A written answer a person has already graded keeps its grade, out of the queue, when it is the
        same text as at the last grading (`previous_answers`); a changed one goes back to the queue."""

        def write() -> None:
            from nbgrader.api import MissingEntry

            if self._gb is None:
                self._gb = open_gradebook(self.db_url)
            gb = self._gb
            try:
                gb.update_or_create_student(result.student_id)
                try:
                    submission = gb.find_submission(result.assignment, result.student_id)
                except MissingEntry:
                    submission = gb.add_submission(result.assignment, result.student_id)
                submission.timestamp = timestamp
                # every grade of the notebook in one query, not one per cell
                grades = {g.name: g for g in
                          gb.find_submission_notebook(notebook, result.assignment, result.student_id).grades}

                def grade_of(grade_id: str) -> Any:
                    found = grades.get(grade_id)
                    return found if found is not None else gb.find_grade(grade_id, notebook, result.assignment,
                                                                         result.student_id)

                for test in result.tests:
                    grade = grade_of(test.grade_id)
                    grade.auto_score = test.points
                    grade.needs_manual_grade = False
                for grade_id, answer in result.manual_answers.items():
                    grade = grade_of(grade_id)
                    if grade.manual_score is not None and previous_answers is not None \
                            and previous_answers.get(grade_id) == answer:
                        continue  # graded by hand, and the answer is the one that was graded
                    blank = is_blank_answer(answer)
                    grade.auto_score = 0.0 if blank else None
                    grade.needs_manual_grade = not blank
                if not result.manual_answers and result.status != "ok" and not result.tests:
                    # an ungradable file: every test cell scores 0, visibly, instead of staying empty
                    for grade in grades.values():
                        grade.auto_score, grade.needs_manual_grade = 0.0, False
                gb.db.flush()
                if late is not None:
                    _assign_late_penalty(gb, late, result, notebook)
                gb.db.commit()
            except BaseException:
                gb.db.rollback()
                raise

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbgrader's add_submission trips SQLAlchemy autoflush warnings
            _retrying(f"recording {result.student_id}", write)


def read_scores(db_url: str, assignment: str) -> dict[str, float]:
    """Total score per student as the gradebook has it (what `nbgrader export` would report)."""
    with open_gradebook(db_url) as gb:
        return {s.student.id: s.score for s in gb.find_assignment(assignment).submissions}
